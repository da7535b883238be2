//! The editor (egui): parameters, the current chord, a live piano roll, model
//! information, loading weights, a panic button and MIDI export.

use super::engine::{PlayedNote, Turn};
use super::params::ImprovParams;
use super::{Shared, Task};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, Frame, NiceEguiApp, RepaintNotifier, widgets};
use std::sync::Arc;

pub fn default_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(nice_plug::editor::dpi::LogicalSize::new(780.0, 820.0), 1.0)
}

pub fn create(
    params: Arc<ImprovParams>,
    shared: Arc<Shared>,
    state: Arc<EguiEditorState>,
    executor: impl Fn(Task) + Send + Sync + 'static,
) -> Option<EguiEditor<ImprovGui>> {
    let executor: Arc<dyn Fn(Task) + Send + Sync> = Arc::new(executor);
    let app = ImprovGui {
        params,
        shared,
        executor,
        gui: None,
        history: Vec::new(),
        weights_path: String::new(),
        export_path: "improv-solo.mid".into(),
        export_bars: 8,
        message: String::new(),
        heard: String::new(),
        picked: None,
    };
    nice_plug_egui::create_egui_editor(state, RepaintNotifier::new(), EguiNiceSettings::new().with_tile("Improv"), app)
}

/// Bars of history the editor keeps.
const HISTORY_BARS: f64 = 64.0;

pub struct ImprovGui {
    params: Arc<ImprovParams>,
    shared: Arc<Shared>,
    /// Runs a task on the plugin's background thread.
    executor: Arc<dyn Fn(Task) + Send + Sync>,
    gui: Option<GuiContext>,
    history: Vec<PlayedNote>,
    weights_path: String,
    export_path: String,
    export_bars: u32,
    message: String,
    /// What Improv heard of the last call it answered ("you swung 1.35 : 1, …").
    heard: String,
    /// The beat clicked in the roll: the thumbs rate the phrase there (else the last).
    picked: Option<f64>,
}

impl ImprovGui {
    fn export(&self) -> Result<String, String> {
        let (bytes, count) = super::export_bars(&self.history, self.shared.position(), self.export_bars)
            .ok_or("nothing played in those bars yet")?;
        crate::cli::atomic::write(std::path::Path::new(&self.export_path), &bytes)?;
        Ok(format!("wrote {count} notes to {}", self.export_path))
    }

    /// Draws the roll; returns the beat clicked, if any (it picks a phrase to rate).
    fn piano_roll(&self, ui: &mut egui::Ui) -> Option<f64> {
        let (rect, response) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 160.0), egui::Sense::click());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, egui::Color32::from_gray(24));
        let now = self.shared.position();
        let span = 16.0; // beats shown: the last four bars
        let x = |b: f64| rect.left() + ((b - (now - span)) / span) as f32 * rect.width();
        let y = |k: u8| rect.bottom() - (k.saturating_sub(36) as f32 / 60.0) * rect.height();
        for bar in 0..=4 {
            let b = (now / 4.0).floor() * 4.0 - bar as f64 * 4.0;
            painter.line_segment(
                [egui::pos2(x(b), rect.top()), egui::pos2(x(b), rect.bottom())],
                (1.0, egui::Color32::from_gray(70)),
            );
        }
        // Where the music is: bar:beat and the chord, over the roll.
        let chord = self.shared.chord();
        let name = if chord.is_empty() { "no chord".to_string() } else { crate::theory::symbol::name_chord(&chord) };
        let (bar, beat) = ((now / 4.0).floor() as i64 + 1, (now.rem_euclid(4.0)).floor() as i64 + 1);
        let who = match self.shared.turn() {
            Turn::Idle => "",
            Turn::Improv => "Improv plays",
            Turn::Listening => "you play, Improv listens",
            Turn::Answering => "Improv answers",
        };
        painter.text(
            rect.left_top() + egui::vec2(8.0, 6.0),
            egui::Align2::LEFT_TOP,
            format!("bar {bar} : beat {beat}    {name}    {who}"),
            egui::FontId::proportional(14.0),
            egui::Color32::from_gray(220),
        );
        for n in self.history.iter().filter(|n| n.start + n.length >= now - span) {
            // The musician's notes (the call) in white, Improv's by what they are.
            let colour = match n.kind {
                _ if n.heard => egui::Color32::from_gray(235),
                crate::grammar::NoteType::Chord => egui::Color32::from_rgb(31, 119, 180),
                crate::grammar::NoteType::Scale => egui::Color32::from_rgb(44, 160, 44),
                crate::grammar::NoteType::Approach => egui::Color32::from_rgb(255, 127, 14),
                _ => egui::Color32::from_rgb(214, 39, 40),
            };
            let r = egui::Rect::from_min_max(
                egui::pos2(x(n.start), y(n.key) - 3.0),
                egui::pos2(x(n.start + n.length), y(n.key)),
            );
            painter.rect_filled(r.intersect(rect), 1.0, colour);
        }
        // The picked phrase, framed.
        if let Some((notes, _)) = self.picked.and_then(|b| super::rating::phrase_at(&self.history, b))
            && let (Some(first), Some(last)) = (notes.first(), notes.last())
        {
            let tick = crate::improvise::grid::TICKS_PER_BEAT as f64;
            let (a, b) = (first.at as f64 / tick, (last.at + last.length) as f64 / tick);
            let frame = egui::Rect::from_min_max(egui::pos2(x(a), rect.top() + 24.0), egui::pos2(x(b), rect.bottom()));
            painter.rect_stroke(
                frame.intersect(rect),
                2.0,
                (1.5, egui::Color32::from_gray(200)),
                egui::StrokeKind::Inside,
            );
        }
        let clicked = response.clicked().then(|| response.interact_pointer_pos()).flatten();
        clicked.map(|p| now - span + ((p.x - rect.left()) / rect.width()) as f64 * span)
    }
}

/// A labelled slider for any kind of parameter.
trait AnyParam {
    fn slider(&self, ui: &mut egui::Ui, setter: &ParamSetter);
}

impl<P: Param> AnyParam for P {
    fn slider(&self, ui: &mut egui::Ui, setter: &ParamSetter) {
        ui.label(self.name());
        ui.add(widgets::ParamSlider::for_param(self, setter));
    }
}

/// A checkbox for an on/off parameter, as one host gesture.
fn toggle(ui: &mut egui::Ui, param: &BoolParam, setter: &ParamSetter) {
    let mut on = param.value();
    if ui.checkbox(&mut on, param.name()).changed() {
        setter.begin_set_parameter(param);
        setter.set_parameter(param, on);
        setter.end_set_parameter(param);
    }
}

impl NiceEguiApp for ImprovGui {
    fn build(
        &mut self,
        _egui: egui::Context,
        ctx: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.gui = Some(ctx);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut Frame) {
        egui::ScrollArea::vertical().show(ui, |ui| self.contents(ui));
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(50));
    }
}

impl ImprovGui {
    fn contents(&mut self, ui: &mut egui::Ui) {
        let Some(ctx) = self.gui.clone() else { return };
        self.shared.drain_history(&mut self.history);
        let now = self.shared.position();
        self.history.retain(|n| n.start >= now - HISTORY_BARS * 4.0 && n.start <= now + 8.0);
        let setter = ctx.param_setter();
        let status = self.shared.status();
        ui.heading("Improv");
        if let Some(beat) = self.piano_roll(ui) {
            let found = super::rating::phrase_at(&self.history, beat).is_some();
            self.picked = found.then_some(beat);
        }
        let p = &self.params;
        let slider = |ui: &mut egui::Ui, param: &dyn AnyParam| param.slider(ui, &setter);
        ui.columns(4, |cols| {
            cols[0].strong("Feel");
            for param in [
                &p.temperature as &dyn AnyParam,
                &p.top_k,
                &p.space,
                &p.motif,
                &p.feel,
                &p.swing,
                &p.lay_back,
                &p.humanize,
            ] {
                slider(&mut cols[0], param);
            }
            cols[1].strong("Harmony");
            for param in [&p.harmony as &dyn AnyParam, &p.line, &p.chord_source, &p.key, &p.mode] {
                slider(&mut cols[1], param);
            }
            for param in [&p.guidance, &p.time_grid, &p.novelty] {
                toggle(&mut cols[1], param, &setter);
            }
            cols[2].strong("Output");
            for param in [&p.low as &dyn AnyParam, &p.high, &p.octave, &p.velocity, &p.gate, &p.channel] {
                slider(&mut cols[2], param);
            }
            toggle(&mut cols[2], &p.pass_through, &setter);
            for param in [&p.voice as &dyn AnyParam, &p.voice_level] {
                slider(&mut cols[2], param);
            }
            toggle(&mut cols[2], &p.voice_input, &setter);
            cols[3].strong("Play");
            for param in [&p.model as &dyn AnyParam, &p.style, &p.seed, &p.free_tempo] {
                slider(&mut cols[3], param);
            }
            for param in [&p.same_solo, &p.free_run] {
                toggle(&mut cols[3], param, &setter);
            }
        });
        ui.separator();
        ui.strong("Listen: trade with Improv (your melody at or above the split, your chords below)");
        ui.columns(3, |cols| {
            for (i, param) in
                [&p.listen as &dyn AnyParam, &p.trade_bars, &p.first_turn, &p.split_by, &p.split_key, &p.melody_channel]
                    .into_iter()
                    .enumerate()
            {
                slider(&mut cols[i % 3], param);
            }
        });
        ui.separator();
        ui.strong("Taste: rate what it played, and it plays more of what you like");
        ui.horizontal(|ui| {
            use crate::taste::ratings::Verdict;
            // Keyboard: + (or =) for good, - for bad, while the editor has focus and
            // no text field is being typed in.
            let typing = ui.memory(|m| m.focused().is_some());
            let (good_key, bad_key) = ui.input(|i| {
                (i.key_pressed(egui::Key::Plus) || i.key_pressed(egui::Key::Equals), i.key_pressed(egui::Key::Minus))
            });
            let (good_key, bad_key) = (good_key && !typing, bad_key && !typing);
            let which = if self.picked.is_some() { "The phrase picked in the roll" } else { "The last phrase" };
            let good = ui.button("👍 Good").on_hover_text(format!("{which} was good (key +)")).clicked() || good_key;
            let bad = ui.button("👎 Bad").on_hover_text(format!("{which} was bad (key -)")).clicked() || bad_key;
            let verdict = if good {
                Some(Verdict::Good)
            } else if bad {
                Some(Verdict::Bad)
            } else {
                None
            };
            if let Some(v) = verdict {
                match self.picked.take().and_then(|b| super::rating::phrase_at(&self.history, b)) {
                    Some((notes, rest)) => (self.executor)(Task::RatePhrase(v, notes, rest)),
                    None => self.shared.rate(v),
                }
            }
            ui.label(format!("{} ratings", self.shared.ratings()));
            if self.picked.is_some() {
                ui.label("(a phrase is picked in the roll: click outside the notes to unpick)");
            }
        });
        ui.columns(3, |cols| {
            for (i, param) in [&p.taste as &dyn AnyParam, &p.candidates, &p.rate].into_iter().enumerate() {
                slider(&mut cols[i], param);
            }
        });
        if let Some((feel, bpm)) = self.shared.last_heard_feel() {
            self.heard = feel.describe(bpm);
        }
        if !self.heard.is_empty() {
            ui.label(format!("Heard: {}", self.heard));
        }
        ui.separator();
        ui.label(&status.model);
        if !status.message.is_empty() {
            ui.colored_label(egui::Color32::from_rgb(230, 160, 40), &status.message);
        }
        ui.horizontal(|ui| {
            ui.label("Weights file:");
            ui.text_edit_singleline(&mut self.weights_path);
            if ui.button("Load").clicked() {
                (self.executor)(Task::LoadWeights(self.weights_path.trim().to_string()));
            }
            if ui.button("Embedded").clicked() {
                (self.executor)(Task::LoadWeights(String::new()));
            }
        });
        ui.horizontal(|ui| {
            if ui.button("Panic: all notes off").clicked() {
                self.shared.panic();
            }
            ui.label("Export the last");
            ui.add(egui::DragValue::new(&mut self.export_bars).range(1..=64));
            ui.label("bars to");
            ui.text_edit_singleline(&mut self.export_path);
            if ui.button("Export .mid").clicked() {
                self.message = self.export().unwrap_or_else(|e| e);
            }
        });
        if !self.message.is_empty() {
            ui.label(&self.message);
        }
    }
}
