//! Reading `config.toml` so that one bad line costs only itself: every valid setting is kept and
//! each bad one is reported with its line, instead of the whole file falling back to defaults.

use super::{key_on_line, line_at, quoted_key, Config};

/// At most this many problems are reported (and lines left out) before giving up on the file.
const MAX_PROBLEMS: usize = 64;

/// Parses `text`, leaving out each line toml or the settings reject. Returns the settings read
/// and one "line N: key `k`: what is wrong" per problem, in the order they occur in the file.
pub fn parse_lenient(text: &str) -> (Config, Vec<String>) {
    let mut work = text.to_string();
    let mut problems: Vec<(usize, String)> = Vec::new();
    while problems.len() < MAX_PROBLEMS {
        let e = match toml::from_str::<Config>(&work) {
            Ok(c) => return (c, sorted(problems)),
            Err(e) => e,
        };
        let msg = e.message().trim().replace('\n', "; ");
        let Some(span) = e.span() else {
            // Nothing to point at, so nothing to leave out: the defaults, and say so.
            problems.push((usize::MAX, format!("{msg}; using the default settings")));
            return (Config::default(), sorted(problems));
        };
        let first = line_at(&work, span.start);
        let last = line_at(&work, span.end.saturating_sub(1).max(span.start));
        let key = key_on_line(&work, first).or_else(|| quoted_key(&msg));
        problems.push((first, describe(first, key.as_deref(), &work, &msg)));
        if !blank(&mut work, first, last) {
            problems.push((
                usize::MAX,
                "the rest of the file cannot be read; using the default settings".into(),
            ));
            return (Config::default(), sorted(problems));
        }
    }
    problems.push((
        usize::MAX,
        "too many problems to read the rest; using the default settings".into(),
    ));
    (Config::default(), sorted(problems))
}

fn sorted(mut p: Vec<(usize, String)>) -> Vec<String> {
    p.sort_by_key(|(line, _)| *line);
    p.into_iter().map(|(_, m)| m).collect()
}

/// "line 3: key `mouse`: expected true or false, found `maybe`".
fn describe(line: usize, key: Option<&str>, text: &str, msg: &str) -> String {
    let Some(key) = key else {
        return format!("line {line}: {msg}");
    };
    let value = text
        .lines()
        .nth(line - 1)
        .and_then(|l| l.split_once('='))
        .map(|(_, v)| v.trim())
        .unwrap_or("");
    let why = match (expected(key), msg.starts_with("unknown field")) {
        (Some(want), false) => format!("expected {want}, found `{value}`"),
        _ => msg.to_string(),
    };
    format!("line {line}: key `{key}`: {why}")
}

/// What a top-level setting takes, in the words a user would write it.
fn expected(key: &str) -> Option<&'static str> {
    Some(match key {
        "mouse" | "sidebar" | "token_view" => "true or false",
        "theme" => "a quoted theme name, e.g. theme = \"light\"",
        "preset" => "a quoted preset name, e.g. preset = \"balanced\"",
        "system_prompt" => "a quoted string",
        "embed_model" => "a quoted path or model name",
        "context_overflow" => "\"shift\", \"redecode\" or \"stop\"",
        _ => return None,
    })
}

/// Empties lines `first..=last` (1-based), and a whole table when its header is among them, so
/// its keys are not read as the previous table's. False when nothing changed (no progress).
fn blank(work: &mut String, first: usize, last: usize) -> bool {
    let lines: Vec<&str> = work.split('\n').collect();
    let header = lines
        .get(first - 1)
        .is_some_and(|l| l.trim_start().starts_with('['));
    let mut end = last;
    if header {
        while end < lines.len() && !lines[end].trim_start().starts_with('[') {
            end += 1;
        }
    }
    let mut changed = false;
    let out: Vec<&str> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if (first - 1..end).contains(&i) && !l.is_empty() {
                changed = true;
                ""
            } else {
                l
            }
        })
        .collect();
    *work = out.join("\n");
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_line_is_named_and_the_rest_kept() {
        let text = "theme = \"light\"\nmouse = maybe\nsidebar = false\nthem = \"x\"\n\
                    token_view = \"yes\"\npreset = \"precise\"\n";
        let (c, problems) = parse_lenient(text);
        assert_eq!(c.theme, "light");
        assert!(!c.sidebar);
        assert_eq!(c.preset, "precise");
        assert!(c.mouse, "the bad value leaves the default");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(
            problems[0],
            "line 2: key `mouse`: expected true or false, found `maybe`"
        );
        assert!(
            problems[1].starts_with("line 4: key `them`: unknown field"),
            "{problems:?}"
        );
        assert_eq!(
            problems[2],
            "line 5: key `token_view`: expected true or false, found `\"yes\"`"
        );
    }

    #[test]
    fn a_bad_table_is_left_out_whole() {
        let text = "[nonsense]\ntheme = \"light\"\n[keys.global]\nquit = \"f10\"\n";
        let (c, problems) = parse_lenient(text);
        assert_eq!(c.theme, "dark", "the key belongs to the bad table");
        assert_eq!(c.keys["global"]["quit"].specs(), vec!["f10"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("line 1"), "{problems:?}");
    }

    #[test]
    fn a_valid_file_has_no_problems() {
        let (c, problems) = parse_lenient("mouse = false\n");
        assert!(problems.is_empty());
        assert!(!c.mouse);
    }
}
