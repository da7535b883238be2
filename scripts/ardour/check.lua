-- Improv in a real DAW: Ardour's headless Lua tool (ardour7-lua) on the Dummy
-- backend. Run by scripts/ardour-check.sh, which sets CHECK_DIR (a scratch folder)
-- and has Ardour's VST3 scanner cache Improv.vst3 first, in three processes (one
-- session load each: ardour7-lua cannot reopen a session it closed):
--   PHASE=build   a session: MIDI track = Improv, tap, ACE Reasonable Synth, tap;
--                 the held chord region and the loop range written into its file
--   PHASE=loop    loops bars 1-2 three times, then saves (a quick save)
--   PHASE=reload  opens what was saved, plays bars 1-2, then Voice on with the
--                 synth off; prints one RESULT line of figures
-- Each prints FAIL and a reason (exit 1) when a check does not hold.
io.stdout:setvbuf("no")
local dir = assert(os.getenv("CHECK_DIR"), "CHECK_DIR")
local NAME = "check"
local RATE = 48000
local SPB = RATE / 2              -- samples per beat at Ardour's default 120 BPM
local LOOP_BEATS = 8              -- the loop: bars 1-2, the chord region under it
local PASSES = 3                  -- loop passes played
local TOLERANCE = 8               -- samples: "on the grid"
local CHORD = { 50, 53, 57, 60 }  -- Dm7 (D3 F3 A3 C4) on MIDI channel 2
local VOICE_PARAM = "Voice"
local PHASE = os.getenv("PHASE") or "build"

local function fail(msg) print("FAIL: " .. msg) os.exit(1) end

ARDOUR.config():set_hide_dummy_backend(false)
if not AudioEngine:set_backend("None (Dummy)", "", "") then fail("no Dummy backend") end

---------------------------------------------------------------------------
-- Playing, and reading what the taps saw.
local sess = dir .. "/session"
local function open()
  if not load_session(sess, NAME) then fail("cannot load the session") end
  ARDOUR.LuaAPI.usleep(500000)
  local t = Session:route_by_name("Chords"):to_track()
  if t:playlist():region_list():size() ~= 1 then fail("the chord region did not load") end
  return t
end
-- Closes the session after dropping what Lua holds of it: a route still referenced
-- when the tool exits is destroyed after the engine, and the tool crashes.
local function close()
  collectgarbage()
  collectgarbage()
  close_session()
end
local function tap(t, index) return t:nth_plugin(index):to_insert():plugin(0):to_luaproc() end
local function reset(t)
  for i = 0, 8 do
    local p = t:nth_plugin(i)
    if p:isnil() then break end
    if p:name() == "Improv Check Tap" then tap(t, i):shmem():clear() end
  end
end
local function wait_until(cond, seconds, what)
  local t0 = ARDOUR.LuaAPI.monotonic_time()
  while not cond() do
    ARDOUR.LuaAPI.usleep(20000)
    if ARDOUR.LuaAPI.monotonic_time() - t0 > seconds * 1e6 then fail(what .. " (hung for " .. seconds .. " s)") end
  end
end
local function locate0()
  Session:request_locate(0, false, ARDOUR.LocateTransportDisposition.MustStop, ARDOUR.TransportRequestSource.TRS_UI)
  wait_until(function() return Session:transport_sample() == 0 and not Session:transport_rolling() end, 10, "locate")
end
local function stop()
  Session:request_stop(false, false, ARDOUR.TransportRequestSource.TRS_UI)
  wait_until(function() return not Session:transport_rolling() end, 10, "stop")
  ARDOUR.LuaAPI.usleep(200000)
end
-- Events seen by a tap: { at, status, key, velocity }, and its audio figures.
local function seen(t, index)
  local shm = tap(t, index):shmem()
  local ints = shm:to_int(0):array()
  local out = {}
  for i = 0, ints[1] - 1 do
    local b = 8 + 4 * i
    out[#out + 1] = { at = ints[b + 1], status = ints[b + 2], key = ints[b + 3], vel = ints[b + 4] }
  end
  return out, { blocks = ints[2], first = ints[3] - 1, peak = shm:to_float(4):array()[1] }
end
local function is_line(e) return e.status & 0x0f == 0 end
local function is_on(e) return e.status & 0xf0 == 0x90 and e.vel > 0 end
local function is_off(e) return e.status & 0xf0 == 0x80 or (e.status & 0xf0 == 0x90 and e.vel == 0) end
-- No line key struck twice, none left sounding.
local function balanced(events, what)
  local sounding = {}
  for _, e in ipairs(events) do
    if is_line(e) then
      if is_on(e) then
        if sounding[e.key] then fail(what .. ": key " .. e.key .. " struck twice") end
        sounding[e.key] = true
      elseif is_off(e) then sounding[e.key] = nil end
    end
  end
  for k in pairs(sounding) do fail(what .. ": key " .. k .. " left sounding") end
end
-- Split events into passes at each chord note-on of the chord's first key.
local function passes(events)
  local out = {}
  for _, e in ipairs(events) do
    if e.status == 0x91 and e.key == CHORD[1] and is_on(e) then out[#out + 1] = { start = e.at, line = {} }
    elseif #out > 0 and is_line(e) and is_on(e) then table.insert(out[#out].line, e) end
  end
  return out
end
local function offgrid(pass)
  local worst = 0
  for _, e in ipairs(pass.line) do
    local ticks = (e.at - pass.start) / SPB * 12
    worst = math.max(worst, math.abs(ticks - math.floor(ticks + 0.5)) * SPB / 12)
  end
  return worst
end
local function play(beats)
  locate0()
  Session:request_roll(ARDOUR.TransportRequestSource.TRS_UI)
  wait_until(function() return Session:transport_sample() >= beats * SPB end, beats + 20, "the roll")
  stop()
end


---------------------------------------------------------------------------
-- PHASE=build
local function build()
  ---------------------------------------------------------------------------
  -- A session: MIDI track "Chords" = Improv, tap, ACE Reasonable Synth, tap.
  local sess = dir .. "/session"
  if not create_session(sess, NAME, RATE) then fail("cannot create the session") end
  -- Adding a track at once races the engine's start ("Port already exists"): settle first.
  ARDOUR.LuaAPI.usleep(1000000)
  local synth_info = ARDOUR.LuaAPI.new_plugin_info("ACE Reasonable Synth", ARDOUR.PluginType.LV2)
  if synth_info:isnil() then fail("no ACE Reasonable Synth") end
  local tl = Session:new_midi_track(ARDOUR.ChanCount(ARDOUR.DataType("midi"), 1),
    ARDOUR.ChanCount(ARDOUR.DataType("audio"), 2), true, synth_info, nil, nil, 1, "Chords",
    ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true, false)
  local track = tl:front()
  local improv = ARDOUR.LuaAPI.new_plugin(Session, "Improv", ARDOUR.PluginType.VST3, "")
  if improv:isnil() then fail("Ardour does not know Improv.vst3 (its scanner cache)") end
  track:add_processor_by_index(improv, 0, nil, true)
  track:add_processor_by_index(ARDOUR.LuaAPI.new_luaproc(Session, "Improv Check Tap"), 1, nil, true)
  track:add_processor_by_index(ARDOUR.LuaAPI.new_luaproc(Session, "Improv Check Tap"), 3, nil, true)
  local category = improv:to_insert():plugin(0):get_info().category
  Session:save_state("", false, false, false, false, false)
  tl, track, improv = nil, nil, nil
  close()

  ---------------------------------------------------------------------------
  -- The held chord as a MIDI region: Ardour's Lua has no call that makes one, so it
  -- is written into the session file (an SMF source and a region on the playlist).
  local function varlen(n)
    local bytes = { string.char(n % 128) }
    n = n // 128
    while n > 0 do table.insert(bytes, 1, string.char(128 + n % 128)) n = n // 128 end
    return table.concat(bytes)
  end
  local function be(n, w)
    local t = {}
    for i = w - 1, 0, -1 do t[#t + 1] = string.char((n >> (8 * i)) & 255) end
    return table.concat(t)
  end
  local function chord_smf()
    local ppq, ev = 480, {}
    for _, k in ipairs(CHORD) do ev[#ev + 1] = varlen(0) .. string.char(0x91, k, 100) end
    for i, k in ipairs(CHORD) do
      ev[#ev + 1] = varlen(i == 1 and (LOOP_BEATS * ppq - 24) or 0) .. string.char(0x81, k, 0)
    end
    ev[#ev + 1] = varlen(24) .. string.char(0xFF, 0x2F, 0)
    local body = table.concat(ev)
    return "MThd" .. be(6, 4) .. be(0, 2) .. be(1, 2) .. be(ppq, 2) .. "MTrk" .. be(#body, 4) .. body
  end
  local f = assert(io.open(sess .. "/interchange/session/midifiles/chord.mid", "wb"))
  f:write(chord_smf()) f:close()
  local path = sess .. "/" .. NAME .. ".ardour"
  f = assert(io.open(path, "rb")) local xml = f:read("a") f:close()
  local len = "b" .. tostring(LOOP_BEATS * 1920) .. "@b0"   -- a distance@position, in ticks
  local function region(id, whole)
    return string.format('<Region name="chord" muted="0" opaque="1" locked="0" video-locked="0" automatic="0"'
      .. ' whole-file="%d" import="0" external="0" sync-marked="0" left-of-split="0" right-of-split="0" hidden="0"'
      .. ' position-locked="0" valid-transients="0" start="b0" length="%s" position="b0" sync-position="b0"'
      .. ' ancestral-start="b0" ancestral-length="%s" stretch="1" shift="1" layering-index="0" tags="" id="%d"'
      .. ' type="midi" first-edit="nothing" source-0="9001" master-source-0="9001"/>', whole, len, len, id)
  end
  local n1, n2, n3, n4
  xml, n1 = xml:gsub("<Sources/>", '<Sources>\n    <Source name="chord.mid" type="midi" flags="" id="9001"'
    .. ' captured-for="" origin="" natural-position="b0"/>\n  </Sources>', 1)
  xml, n2 = xml:gsub("<Regions/>", "<Regions>\n    " .. region(9002, 1) .. "\n  </Regions>", 1)
  xml, n3 = xml:gsub('(<Playlist id="%d+" name="Chords" type="midi"[^>]-)/>',
    "%1>\n      " .. region(9003, 0) .. "\n    </Playlist>", 1)
  -- The loop range (bars 1-2): Lua can make range markers but not the loop.
  xml, n4 = xml:gsub("<Locations/>", '<Locations>\n    <Location id="9010" name="Loop" start="b0" end="b'
    .. tostring(LOOP_BEATS * 1920) .. '" flags="IsAutoLoop,IsHidden" locked="0" timestamp="0" cue="0"/>\n  </Locations>', 1)
  if n1 + n2 + n3 + n4 ~= 4 then fail("the session file is not as Ardour 7.3 writes it") end
  f = assert(io.open(path, "wb")) f:write(xml) f:close()
  print("BUILT " .. category)
end

-- PHASE=loop
local function loop_phase()
  local track = open()

  -- 1. Looping bars 1-2 over the chord region, PASSES passes.
  local loop = Session:locations():auto_loop_location()
  if not loop then fail("no loop range in the session") end
  reset(track)
  locate0()
  Session:request_play_loop(true, true)
  Session:request_roll(ARDOUR.TransportRequestSource.TRS_UI)
  local looped = 0
  local last = 0
  wait_until(function()
    local now = Session:transport_sample()
    if now < last then looped = looped + 1 end
    last = now
    return looped >= PASSES - 1 and now >= (LOOP_BEATS - 0.5) * SPB
  end, PASSES * LOOP_BEATS + 20, "the loop")
  Session:request_play_loop(false, false)
  stop()
  local ev = seen(track, 1)
  balanced(ev, "looping")
  local ps = passes(ev)
  if #ps < PASSES then fail("the chord region sounded in " .. #ps .. " of " .. PASSES .. " passes") end
  local pass_notes, pass_first, worst = {}, {}, 0
  for i = 1, PASSES do
    local p = ps[i]
    if #p.line == 0 then fail("pass " .. i .. ": no notes") end
    pass_notes[i] = #p.line
    pass_first[i] = p.line[1].at - p.start
    if pass_first[i] >= SPB then fail("pass " .. i .. ": silent in beat 1 (first note " .. pass_first[i] .. " samples in)") end
    worst = math.max(worst, offgrid(p))
  end
  if worst > TOLERANCE then fail("a note " .. worst .. " samples off the grid") end

  Session:save_state("", false, false, false, false, false)
  track, loop = nil, nil
  close()
  print(string.format("LOOPED passes=%d notes=%s first_note_samples=%s offgrid_max=%.1f",
    PASSES, table.concat(pass_notes, "/"), table.concat(pass_first, "/"), worst))
end

-- PHASE=reload
local function reload_phase()
  local track = open()
  reset(track)
  play(LOOP_BEATS)
  local ev = seen(track, 1)
  balanced(ev, "after reload")
  local rp = passes(ev)
  if #rp < 1 or #rp[1].line == 0 then fail("after reload: no notes") end
  local reload_first = rp[1].line[1].at - rp[1].start
  if reload_first >= SPB then fail("after reload: silent in beat 1 (first note " .. reload_first .. " samples in)") end
  local _, synth_audio = seen(track, 3)
  if synth_audio.blocks == 0 then fail("Improv before ACE Reasonable Synth: the synth is silent") end
  local _, bus_off = seen(track, 1)
  if bus_off.peak ~= 0 then fail("Voice Off: Improv's bus is not silent (" .. bus_off.peak .. ")") end

  -- 3. Voice on and the synth taken out (the track: Improv, tap, tap): the track is
  -- heard through Improv's own voice. (Ahead of a synth, Ardour feeds the synth
  -- Improv's MIDI and the track plays the synth's audio, not Improv's.)
  local pi = track:nth_plugin(0):to_insert()
  local plug = pi:plugin(0)
  local voice_index = nil
  for j = 0, plug:parameter_count() - 1 do
    if plug:parameter_label(j) == VOICE_PARAM then voice_index = j end
  end
  if not voice_index then fail("no Voice parameter") end
  ARDOUR.LuaAPI.set_plugin_insert_param(pi, voice_index, 1)   -- Vibraphone
  if track:remove_processor(track:nth_plugin(2), nil, true) ~= 0 then fail("cannot take the synth out") end
  reset(track)
  play(LOOP_BEATS)
  local _, voice_bus = seen(track, 1)
  local _, voice_track = seen(track, 2)
  if voice_track.blocks == 0 then
    fail(string.format("Voice on: the track is silent (Improv's bus peak %.4f in %d blocks)", voice_bus.peak, voice_bus.blocks))
  end
  if voice_track.peak > 0.8913 then fail("Voice on: peak above -1 dBFS (" .. voice_track.peak .. ")") end
  track, pi, plug = nil, nil, nil
  close()

  print(string.format("RELOADED first_note_samples=%d synth_peak=%.3f voice_bus_peak=%.3f voice_track_peak=%.3f",
    reload_first, synth_audio.peak, voice_bus.peak, voice_track.peak))
end

local phases = { build = build, loop = loop_phase, reload = reload_phase }
if not phases[PHASE] then fail("PHASE must be build, loop or reload") end
phases[PHASE]()
