//! The bundled VST3 plugin in a minimal in-process VST3 host (the `vst3` crate's
//! bindings): what the host sets while audio runs is what it reads back and what a
//! state save holds. Ardour saves a session whenever the user asks, often within a
//! block of a parameter change; with nice-plug as published, the change was lost.
//! Needs `target/test-bundles/alloc-check/Improv.vst3`, built by `scripts/test.sh`.
#![cfg(all(target_os = "linux", feature = "plugin"))]

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::path::PathBuf;
use std::ptr;
use vst3::Steinberg::IBStream_::IStreamSeekMode_::{kIBSeekCur, kIBSeekEnd, kIBSeekSet};
use vst3::Steinberg::Vst::ParameterInfo_::ParameterFlags_::kIsBypass;
use vst3::Steinberg::Vst::{
    IAudioProcessor, IAudioProcessorTrait, IComponent, IComponentTrait, IEditController, IEditControllerTrait,
    ParameterInfo, ProcessSetup,
};
use vst3::Steinberg::{
    IBStream, IBStreamTrait, IPluginBaseTrait, IPluginFactory, IPluginFactoryTrait, PClassInfo, int32, int64,
    kInvalidArgument, kResultOk, tresult,
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
        unsafe {
            let mut info: PClassInfo = std::mem::zeroed();
            assert_eq!(module.factory.getClassInfo(0, &mut info), kResultOk);
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
