//! Several models in the compare view: a column may name its own model (the variant editor's
//! model field), and a run then loads the other models on engines of their own, side by side
//! when the memory estimate allows and one after another otherwise, saying which on screen.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use crate::compare::fleet::{self, Loading};
use crate::compare::{run_compare, CompareEvent, VariantSpec};
use crate::engine::{Engine, EngineSettings, ModelInfo};
use crate::model::discover::Found;
use crate::prompt::{Embedder, Mode, Template};

/// A model a column runs on instead of the loaded one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnModel {
    pub path: PathBuf,
    pub file_name: String,
    /// The model's own layout: chat when it has a chat template, completion otherwise.
    pub mode: Mode,
}

impl ColumnModel {
    /// The usable models among those discovery found.
    pub fn from_found(found: &[Found]) -> Vec<ColumnModel> {
        found
            .iter()
            .filter_map(|f| f.info.as_ref().ok())
            .map(|info| ColumnModel {
                path: info.path.clone(),
                file_name: info.file_name.clone(),
                mode: Mode::for_model(info),
            })
            .collect()
    }

    /// A short name for column titles (the name the whole TUI uses).
    pub fn short(&self) -> String {
        crate::ui::model_label::label(&self.file_name)
    }
}

/// The next choice for a column's model: `None` (the loaded model), then each found model in
/// turn, `step` forward or back.
pub fn cycle(
    current: Option<&ColumnModel>,
    models: &[ColumnModel],
    step: isize,
) -> Option<ColumnModel> {
    let n = models.len() as isize + 1;
    let at = current
        .and_then(|c| models.iter().position(|m| m.path == c.path))
        .map_or(0, |i| i as isize + 1);
    let next = (at + step).rem_euclid(n);
    (next > 0).then(|| models[next as usize - 1].clone())
}

/// Runs a comparison whose columns name models of their own (blocking; on the compare worker).
/// Columns without one run on `engine`; every other model is loaded on an engine of its own,
/// side by side or one after another as the memory estimate says (reported through `note`).
/// Events come back with the column indices of the whole comparison.
#[allow(clippy::too_many_arguments)]
pub fn run_columns(
    engine: &Engine,
    loaded: Option<&ModelInfo>,
    template: &Template,
    vars: &BTreeMap<String, String>,
    variants: &[VariantSpec],
    models: &[Option<PathBuf>],
    cancel: &AtomicBool,
    note: &(dyn Fn(String) + Sync),
    on_event: &(dyn Fn(CompareEvent) + Sync),
) -> Result<(), String> {
    // Columns grouped by model, in first-seen order; the loaded model's path counts as `None`.
    let loaded_path = loaded.map(|m| m.path.clone());
    let mut groups: Vec<(Option<PathBuf>, Vec<usize>)> = Vec::new();
    for (i, m) in models.iter().enumerate() {
        let key = m.clone().filter(|p| Some(p) != loaded_path.as_ref());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, cols)) => cols.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    let others: Vec<PathBuf> = groups.iter().filter_map(|(k, _)| k.clone()).collect();
    let mut all = others.clone();
    all.extend(loaded_path.clone());
    let plan = fleet::plan(&all, loaded.map(|m| m.n_ctx), fleet::available_memory());
    note(plan.describe());
    let settings = EngineSettings {
        n_ctx: loaded.map(|m| m.n_ctx),
        threads: loaded.map(|m| m.threads),
        ..EngineSettings::default()
    };
    let mut errors = Vec::new();
    let run_group = |e: &Engine, info: Option<&ModelInfo>, cols: &[usize]| -> Result<(), String> {
        let specs: Vec<VariantSpec> = cols.iter().map(|&i| variants[i].clone()).collect();
        let embedder = info.map(|m| Embedder::engine(e, m));
        run_compare(e, template, vars, &specs, embedder.as_ref(), cancel, |ev| {
            on_event(remap(ev.clone(), cols))
        })
        .map(|_| ())
        .map_err(|err| err.to_string())
    };
    let side_by_side = plan.loading == Loading::SideBySide;
    let mut loaded_engines: Vec<(Engine, ModelInfo, Vec<usize>)> = Vec::new();
    let run_group = &run_group;
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (key, cols) in &groups {
            if key.is_none() {
                handles.push(s.spawn(move || run_group(engine, loaded, cols)));
            }
        }
        for (key, cols) in &groups {
            let Some(path) = key else { continue };
            match fleet::load(path, settings.clone()) {
                Ok((e, info)) if side_by_side => loaded_engines.push((e, info, cols.clone())),
                Ok((e, info)) => {
                    // One after another: wait for what runs, then this model alone.
                    for h in handles.drain(..) {
                        if let Ok(Err(err)) = h.join() {
                            errors.push(err);
                        }
                    }
                    if let Err(err) = run_group(&e, Some(&info), cols) {
                        errors.push(err);
                    }
                }
                Err(err) => errors.push(format!("cannot load {}: {err}", path.display())),
            }
        }
        for (e, info, cols) in &loaded_engines {
            handles.push(s.spawn(move || run_group(e, Some(info), cols)));
        }
        for h in handles {
            if let Ok(Err(err)) = h.join() {
                errors.push(err);
            }
        }
    });
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// An event of a group's own comparison with the whole comparison's column index.
fn remap(mut ev: CompareEvent, cols: &[usize]) -> CompareEvent {
    let v = ev.variant_mut();
    *v = cols.get(*v).copied().unwrap_or(*v);
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_field_cycles_through_loaded_then_each_found_model() {
        let m = |n: &str| ColumnModel {
            path: PathBuf::from(n),
            file_name: n.into(),
            mode: Mode::Completion,
        };
        let models = vec![m("a.gguf"), m("b.gguf")];
        let one = cycle(None, &models, 1);
        assert_eq!(one.as_ref().map(|x| x.short()).as_deref(), Some("a"));
        let two = cycle(one.as_ref(), &models, 1);
        assert_eq!(two.as_ref().map(|x| x.short()).as_deref(), Some("b"));
        assert_eq!(cycle(two.as_ref(), &models, 1), None);
        assert_eq!(cycle(None, &models, -1), two);
    }

    #[test]
    fn a_group_event_names_its_column_in_the_whole_comparison() {
        let failed = |variant| CompareEvent::Failed {
            variant,
            error: "x".into(),
        };
        let at = |ev: CompareEvent| match remap(ev, &[2, 0, 3]) {
            CompareEvent::Failed { variant, .. } => variant,
            other => panic!("the event keeps its kind, got {other:?}"),
        };
        assert_eq!((at(failed(0)), at(failed(1)), at(failed(2))), (2, 0, 3));
        assert_eq!(
            at(failed(5)),
            5,
            "an index past the group's columns is kept"
        );
        let scored = remap(
            CompareEvent::Scored {
                variant: 1,
                labels: vec![],
            },
            &[2, 0, 3],
        );
        assert!(matches!(scored, CompareEvent::Scored { variant: 0, .. }));
    }
}
