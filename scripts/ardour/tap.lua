ardour {
	["type"]    = "dsp",
	name        = "Improv Check Tap",
	category    = "Utility",
	license     = "MIT",
	author      = "Improv",
	description = [[Passes audio and MIDI through and records what goes by (scripts/ardour-check.sh)]]
}

-- shmem ints: [1] events recorded, [2] audio blocks with sound, [3] first sample with sound + 1,
-- [4] peak (float bits via to_float), then per event: transport sample, status, key, velocity.
local HEADER = 8
local MAX_EVENTS = 20000

function dsp_ioconfig ()
	return { { midi_in = 1, midi_out = 1, audio_in = -1, audio_out = -1 } }
end

function dsp_init (rate)
	self:shmem():allocate(HEADER + 4 * MAX_EVENTS)
	self:shmem():clear()
end

function dsp_configure (ins, outs)
	n_out = outs
	n_audio = ins:n_audio()
end

function dsp_runmap (bufs, in_map, out_map, n_samples, offset)
	ARDOUR.DSP.process_map (bufs, n_out, in_map, out_map, n_samples, offset)
	local shm = self:shmem()
	local ints = shm:to_int(0):array()
	local now = Session:transport_sample()
	local rolling = Session:transport_rolling()
	local ib = in_map:get (ARDOUR.DataType ("midi"), 0)
	if ib ~= ARDOUR.ChanMapping.Invalid then
		for _, e in pairs (bufs:get_midi (ib):table ()) do
			local ev = e:buffer():array()
			local n = ints[1]
			if n < MAX_EVENTS and e:size() >= 3 then
				local base = HEADER + 4 * n
				ints[base + 1] = now + e:time()
				ints[base + 2] = ev[1]
				ints[base + 3] = ev[2]
				ints[base + 4] = ev[3]
				ints[1] = n + 1
			end
		end
	end
	local ab = in_map:get (ARDOUR.DataType ("audio"), 0)
	if ab ~= ARDOUR.ChanMapping.Invalid and rolling then
		local peak = ARDOUR.DSP.compute_peak (bufs:get_audio (ab):data (offset), n_samples, 0)
		local floats = shm:to_float(4):array()
		if peak > floats[1] then floats[1] = peak end
		if peak > 1e-4 then
			ints[2] = ints[2] + 1
			if ints[3] == 0 then ints[3] = now + 1 end
		end
	end
end
