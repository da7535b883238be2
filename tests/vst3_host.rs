//! The bundled VST3 plugin in a minimal in-process VST3 host (the `vst3` crate's
//! bindings): what the host sets while audio runs is what it reads back and what a
//! state save holds. Ardour saves a session whenever the user asks, often within a
//! block of a parameter change; with nice-plug as published, the change was lost.
//! It also plays: the module's two classes and their buses, and a held chord on the
//! line's own channel passed through while Improv plays (no key struck twice).
//! Needs `target/test-bundles/alloc-check/Improv.vst3`, built by `scripts/test.sh`.
#![cfg(all(target_os = "linux", feature = "plugin"))]

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::path::PathBuf;
use std::ptr;
use vst3::Steinberg::IBStream_::IStreamSeekMode_::{kIBSeekCur, kIBSeekEnd, kIBSeekSet};
use vst3::Steinberg::Vst::BusDirections_::{kInput, kOutput};
use vst3::Steinberg::Vst::Event_::EventTypes_::{kNoteOffEvent, kNoteOnEvent};
use vst3::Steinberg::Vst::MediaTypes_::{kAudio, kEvent};
use vst3::Steinberg::Vst::ParameterInfo_::ParameterFlags_::kIsBypass;
use vst3::Steinberg::Vst::ProcessContext_::StatesAndFlags_::{kPlaying, kProjectTimeMusicValid, kTempoValid};
use vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, BusInfo, Event, Event__type0, IAudioProcessor, IAudioProcessorTrait,
    IComponent, IComponentTrait, IEditController, IEditControllerTrait, IEventList, IEventListTrait, NoteOffEvent,
    NoteOnEvent, ParameterInfo, ProcessContext, ProcessData, ProcessSetup,
};
use vst3::Steinberg::{
    IBStream, IBStreamTrait, IPluginBaseTrait, IPluginFactory, IPluginFactory2, IPluginFactory2Trait,
    IPluginFactoryTrait, PClassInfo, PClassInfo2, int32, int64, kInvalidArgument, kResultOk, tresult,
};
use vst3::{Class, ComPtr, ComWrapper, Interface};

/// An in-memory `IBStream`, as a host keeps a plugin's state chunk.
#[derive(Default)]
struct Memory {
    bytes: RefCell<Vec<u8>>,
    pos: Cell<usize>,
}

impl Class for Memory {
    type Interfaces = (IBStream,);
}

impl IBStreamTrait for Memory {
    unsafe fn read(&self, buffer: *mut c_void, num_bytes: int32, num_read: *mut int32) -> tresult {
        let bytes = self.bytes.borrow();
        let start = self.pos.get().min(bytes.len());
        let n = (num_bytes.max(0) as usize).min(bytes.len() - start);
        unsafe { ptr::copy_nonoverlapping(bytes[start..].as_ptr(), buffer as *mut u8, n) };
        self.pos.set(start + n);
        if !num_read.is_null() {
            unsafe { *num_read = n as int32 };
        }
        kResultOk
    }

    unsafe fn write(&self, buffer: *mut c_void, num_bytes: int32, num_written: *mut int32) -> tresult {
        let n = num_bytes.max(0) as usize;
        let data = unsafe { std::slice::from_raw_parts(buffer as *const u8, n) };
        let mut bytes = self.bytes.borrow_mut();
        let start = self.pos.get();
        if bytes.len() < start + n {
            bytes.resize(start + n, 0);
        }
        bytes[start..start + n].copy_from_slice(data);
        self.pos.set(start + n);
        if !num_written.is_null() {
            unsafe { *num_written = n as int32 };
        }
        kResultOk
    }

    unsafe fn seek(&self, pos: int64, mode: int32, result: *mut int64) -> tresult {
        let base = match mode {
            m if m == kIBSeekSet as int32 => 0,
            m if m == kIBSeekCur as int32 => self.pos.get() as int64,
            m if m == kIBSeekEnd as int32 => self.bytes.borrow().len() as int64,
            _ => return kInvalidArgument,
        };
        let to = base + pos;
        if to < 0 {
            return kInvalidArgument;
        }
        self.pos.set(to as usize);
        if !result.is_null() {
            unsafe { *result = to };
        }
        kResultOk
    }

    unsafe fn tell(&self, pos: *mut int64) -> tresult {
        if !pos.is_null() {
            unsafe { *pos = self.pos.get() as int64 };
        }
        kResultOk
    }
}

/// The loaded module; dropped last, after every instance.
struct Module {
    factory: ComPtr<IPluginFactory>,
    _lib: libloading::Library,
}

fn load() -> Module {
    let path = std::env::var_os("IMPROV_VST3").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/test-bundles/alloc-check/Improv.vst3/Contents/x86_64-linux/Improv.so")
    });
    assert!(path.is_file(), "{} is missing: run `bash scripts/test.sh` (it bundles the plugin first)", path.display());
    unsafe {
        let lib = libloading::Library::new(&path).expect("load Improv.so");
        // A Linux VST3 module is entered before its factory is asked for (VST3 SDK, module loading).
        if let Ok(entry) = lib.get::<unsafe extern "C" fn(*mut c_void) -> bool>(b"ModuleEntry") {
            assert!(entry(ptr::null_mut()), "ModuleEntry failed");
        }
        let get = lib
            .get::<unsafe extern "system" fn() -> *mut IPluginFactory>(b"GetPluginFactory")
            .expect("GetPluginFactory");
        let factory = ComPtr::from_raw(get()).expect("a factory");
        Module { factory, _lib: lib }
    }
}

/// One instance: the component, which is also its own edit controller and processor.
struct Instance {
    component: ComPtr<IComponent>,
    controller: ComPtr<IEditController>,
    processor: ComPtr<IAudioProcessor>,
}

impl Instance {
    fn new(module: &Module) -> Self {
        Self::of(module, 0)
    }

    /// An instance of the module's class `class`.
    fn of(module: &Module, class: i32) -> Self {
        unsafe {
            let mut info: PClassInfo = std::mem::zeroed();
            assert_eq!(module.factory.getClassInfo(class, &mut info), kResultOk);
            let mut obj: *mut c_void = ptr::null_mut();
            let iid = IComponent::IID;
            let result = module.factory.createInstance(info.cid.as_ptr(), iid.as_ptr() as *const _, &mut obj);
            assert_eq!(result, kResultOk, "createInstance");
            let component = ComPtr::<IComponent>::from_raw(obj as *mut IComponent).expect("a component");
            assert_eq!(component.initialize(ptr::null_mut()), kResultOk);
            let controller = component.cast::<IEditController>().expect("the component is its own controller");
            let processor = component.cast::<IAudioProcessor>().expect("the component is its own processor");
            Instance { component, controller, processor }
        }
    }

    /// Prepares 48 kHz, 512-sample blocks and starts processing, as a host does on play.
    fn start_processing(&self) {
        unsafe {
            let mut setup =
                ProcessSetup { processMode: 0, symbolicSampleSize: 0, maxSamplesPerBlock: 512, sampleRate: 48_000.0 };
            assert_eq!(self.processor.setupProcessing(&mut setup), kResultOk);
            assert_eq!(self.component.setActive(1), kResultOk);
            assert_eq!(self.processor.setProcessing(1), kResultOk);
        }
    }

    fn stop_processing(&self) {
        unsafe {
            self.processor.setProcessing(0);
            self.component.setActive(0);
        }
    }

    /// The id of the parameter whose title is `title`, or of the bypass parameter.
    fn param(&self, wanted: impl Fn(&str, int32) -> bool) -> u32 {
        unsafe {
            for index in 0..self.controller.getParameterCount() {
                let mut info: ParameterInfo = std::mem::zeroed();
                assert_eq!(self.controller.getParameterInfo(index, &mut info), kResultOk);
                let end = info.title.iter().position(|&c| c == 0).unwrap_or(info.title.len());
                let title = String::from_utf16_lossy(&info.title[..end]);
                if wanted(&title, info.flags) {
                    return info.id;
                }
            }
        }
        panic!("no such parameter")
    }

    fn save(&self) -> ComWrapper<Memory> {
        let stream = ComWrapper::new(Memory::default());
        let ptr = stream.to_com_ptr::<IBStream>().unwrap();
        assert_eq!(unsafe { self.component.getState(ptr.as_ptr()) }, kResultOk);
        stream.pos.set(0);
        stream
    }

    fn load(&self, stream: &ComWrapper<Memory>) {
        let ptr = stream.to_com_ptr::<IBStream>().unwrap();
        assert_eq!(unsafe { self.component.setState(ptr.as_ptr()) }, kResultOk);
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        unsafe { self.component.terminate() };
    }
}

#[test]
fn a_parameter_set_while_audio_runs_reads_back_and_is_saved_at_once() {
    let module = load();
    let plugin = Instance::new(&module);
    let seed = plugin.param(|title, _| title == "Seed");
    let velocity = plugin.param(|title, _| title == "Velocity");
    let bypass = plugin.param(|_, flags| flags & kIsBypass as int32 != 0);
    plugin.start_processing();

    // The host changes three parameters and saves before the next block.
    // Values on each parameter's steps (Velocity is 1–127: 33 is 32/126).
    let wanted = [(seed, 0.625), (velocity, 32.0 / 126.0), (bypass, 1.0)];
    for (id, value) in wanted {
        assert_ne!(unsafe { plugin.controller.getParamNormalized(id) }, value, "the test must change the value");
        assert_eq!(unsafe { plugin.controller.setParamNormalized(id, value) }, kResultOk);
    }
    for (id, value) in wanted {
        let read = unsafe { plugin.controller.getParamNormalized(id) };
        assert!((read - value).abs() < 1e-3, "parameter {id}: set {value} while processing, read back {read}");
    }
    let saved = plugin.save();
    plugin.stop_processing();

    // A new process restores the chunk: the values set last come back.
    let restored = Instance::new(&module);
    restored.load(&saved);
    for (id, value) in wanted {
        let read = unsafe { restored.controller.getParamNormalized(id) };
        assert!((read - value).abs() < 1e-3, "parameter {id}: saved right after setting {value}, restored {read}");
    }
}

/// Every parameter (with its step count, from `getParameterInfo`) reads back the
/// value just set, idle and while processing.
#[test]
fn every_parameter_reads_back_the_value_just_set() {
    let module = load();
    let plugin = Instance::new(&module);
    let params: Vec<(u32, i32)> = unsafe {
        (0..plugin.controller.getParameterCount())
            .map(|i| {
                let mut info: ParameterInfo = std::mem::zeroed();
                assert_eq!(plugin.controller.getParameterInfo(i, &mut info), kResultOk);
                (info.id, info.stepCount)
            })
            .collect()
    };
    assert!(params.len() >= 30, "{} parameters", params.len());
    for processing in [false, true] {
        if processing {
            plugin.start_processing();
        }
        for (round, target) in [0.37, 0.81].into_iter().enumerate() {
            for &(id, steps) in &params {
                // A value on the parameter's steps (continuous: any value).
                let value = if steps > 0 { (target * steps as f64).round() / steps as f64 } else { target };
                assert_eq!(unsafe { plugin.controller.setParamNormalized(id, value) }, kResultOk);
                let read = unsafe { plugin.controller.getParamNormalized(id) };
                assert!(
                    (read - value).abs() < 1e-4,
                    "parameter {id} ({steps} steps), round {round}, processing {processing}: set {value}, read {read}"
                );
            }
        }
    }
    plugin.stop_processing();
}

/// An `IEventList`: what the host sends in, or what the plugin sends out.
#[derive(Default)]
struct Events(RefCell<Vec<Event>>);

impl Class for Events {
    type Interfaces = (IEventList,);
}

impl IEventListTrait for Events {
    unsafe fn getEventCount(&self) -> int32 {
        self.0.borrow().len() as int32
    }

    unsafe fn getEvent(&self, index: int32, e: *mut Event) -> tresult {
        match self.0.borrow().get(index as usize) {
            Some(ev) if !e.is_null() => {
                unsafe { *e = *ev };
                kResultOk
            }
            _ => kInvalidArgument,
        }
    }

    unsafe fn addEvent(&self, e: *mut Event) -> tresult {
        if e.is_null() {
            return kInvalidArgument;
        }
        self.0.borrow_mut().push(unsafe { *e });
        kResultOk
    }
}

fn c_string(chars: &[std::ffi::c_char]) -> String {
    let bytes: Vec<u8> = chars.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn two_classes_a_note_effect_and_an_instrument_each_with_a_stereo_output() {
    let module = load();
    let factory2 = module.factory.cast::<IPluginFactory2>().expect("IPluginFactory2");
    let mut classes = Vec::new();
    for i in 0..unsafe { module.factory.countClasses() } {
        let mut info: PClassInfo2 = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { factory2.getClassInfo2(i, &mut info) }, kResultOk);
        classes.push((c_string(&info.name), c_string(&info.subCategories)));
    }
    assert_eq!(
        classes,
        vec![("Improv".into(), "Fx|Generator".into()), ("Improv Instrument".into(), "Instrument|Generator".into())]
    );
    for class in 0..2 {
        let plugin = Instance::of(&module, class);
        unsafe {
            assert_eq!(plugin.component.getBusCount(kAudio as i32, kInput as i32), 0, "no audio input");
            assert_eq!(plugin.component.getBusCount(kAudio as i32, kOutput as i32), 1, "one audio output");
            let mut bus: BusInfo = std::mem::zeroed();
            assert_eq!(plugin.component.getBusInfo(kAudio as i32, kOutput as i32, 0, &mut bus), kResultOk);
            assert_eq!(bus.channelCount, 2, "stereo");
            assert_eq!(plugin.component.getBusCount(kEvent as i32, kInput as i32), 1, "MIDI in");
            assert_eq!(plugin.component.getBusCount(kEvent as i32, kOutput as i32), 1, "MIDI out");
        }
    }
}

fn note(on: bool, offset: i32, channel: i16, pitch: i16, velocity: f32) -> Event {
    let __field0 = if on {
        Event__type0 { noteOn: NoteOnEvent { channel, pitch, tuning: 0.0, velocity, length: 0, noteId: -1 } }
    } else {
        Event__type0 { noteOff: NoteOffEvent { channel, pitch, velocity, noteId: -1, tuning: 0.0 } }
    };
    let r#type = if on { kNoteOnEvent } else { kNoteOffEvent } as u16;
    Event { busIndex: 0, sampleOffset: offset, ppqPosition: 0.0, flags: 0, r#type, __field0 }
}

/// Over 64 seeds, Dm7 held on the line's own channel (MIDI channel 1) inside the
/// melody's register and passed through: no key gets a second note-on before its
/// note-off, the chord keeps its velocity, and the bus stays silent (Voice Off).
#[test]
fn a_chord_on_the_lines_channel_is_never_struck_twice() {
    const BLOCK: usize = 512;
    const CHORD: [i16; 4] = [50, 57, 60, 65];
    let module = load();
    let mut line_notes = 0;
    for seed in 0..64 {
        let plugin = Instance::new(&module);
        let same = plugin.param(|t, _| t == "Same solo every play");
        let seed_param = plugin.param(|t, _| t == "Seed");
        unsafe {
            plugin.controller.setParamNormalized(same, 1.0);
            plugin.controller.setParamNormalized(seed_param, seed as f64 / 9999.0);
        }
        plugin.start_processing();
        let (mut left, mut right) = (vec![f32::NAN; BLOCK], vec![f32::NAN; BLOCK]);
        let mut sounding = [[false; 128]; 16];
        let blocks = (8.0 * 24_000.0 / BLOCK as f64) as usize; // 8 beats at 120 BPM, 48 kHz
        for b in 0..=blocks {
            let input = ComWrapper::new(Events::default());
            let output = ComWrapper::new(Events::default());
            let last = b == blocks;
            if b == 0 || last {
                input.0.borrow_mut().extend(CHORD.map(|k| note(!last, 0, 0, k, 0.8)));
            }
            let mut channels = [left.as_mut_ptr(), right.as_mut_ptr()];
            let mut outputs = AudioBusBuffers {
                numChannels: 2,
                silenceFlags: 0,
                __field0: AudioBusBuffers__type0 { channelBuffers32: channels.as_mut_ptr() },
            };
            let mut context: ProcessContext = unsafe { std::mem::zeroed() };
            context.state = kPlaying | kTempoValid | kProjectTimeMusicValid;
            context.sampleRate = 48_000.0;
            context.tempo = 120.0;
            context.projectTimeSamples = (b * BLOCK) as i64;
            context.projectTimeMusic = (b * BLOCK) as f64 / 24_000.0;
            context.timeSigNumerator = 4;
            context.timeSigDenominator = 4;
            let input_ptr = input.to_com_ptr::<IEventList>().unwrap();
            let output_ptr = output.to_com_ptr::<IEventList>().unwrap();
            let mut data = ProcessData {
                processMode: 0,
                symbolicSampleSize: 0,
                numSamples: BLOCK as i32,
                numInputs: 0,
                numOutputs: 1,
                inputs: ptr::null_mut(),
                outputs: &mut outputs,
                inputParameterChanges: ptr::null_mut(),
                outputParameterChanges: ptr::null_mut(),
                inputEvents: input_ptr.as_ptr(),
                outputEvents: output_ptr.as_ptr(),
                processContext: &mut context,
            };
            assert_eq!(unsafe { plugin.processor.process(&mut data) }, kResultOk);
            assert!(left.iter().chain(&right).all(|&x| x == 0.0), "seed {seed}: silence on the bus with Voice Off");
            for e in output.0.borrow().iter() {
                let (on, channel, key, velocity) = unsafe {
                    match e.r#type as u32 {
                        t if t == kNoteOnEvent => {
                            (true, e.__field0.noteOn.channel, e.__field0.noteOn.pitch, e.__field0.noteOn.velocity)
                        }
                        t if t == kNoteOffEvent => (false, e.__field0.noteOff.channel, e.__field0.noteOff.pitch, 0.0),
                        _ => continue,
                    }
                };
                let s = &mut sounding[channel as usize & 15][key as usize & 127];
                assert_ne!(
                    *s,
                    on,
                    "seed {seed}: key {key} {} twice on channel {channel}",
                    if on { "on" } else { "off" }
                );
                *s = on;
                if on && CHORD.contains(&key) && !last {
                    assert_eq!(velocity, 0.8, "seed {seed}: the chord passes through at its velocity");
                } else if on {
                    line_notes += 1;
                }
            }
        }
        plugin.stop_processing();
    }
    assert!(line_notes > 64 * 8, "the line played: {line_notes} notes");
}
