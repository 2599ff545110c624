//! The grammar checker's unit tests: valid GBNF accepted, each kind of mistake reported with
//! its line and column.

use super::*;

fn err(src: &str) -> GrammarError {
    check(src).expect_err(src)
}

#[test]
fn valid_grammars_pass() {
    for g in [
        "root ::= \"yes\" | \"no\"",
        "root ::= answer\nanswer ::= [a-z]+ (\" \" [a-z]+)*\n",
        "# a comment\nroot ::= ( \"a\" |\n  \"b\" ){2,5} [^\\n]? .\n",
        "root ::= \"\\x41\\u00e9\\n\" <[12]> !<[3]> item{3}\nitem ::= [0-9]{1,}\n",
        "root ::= list\nlist ::= \"[\" (value (\",\" value)*)? \"]\"\nvalue ::= list | [0-9]+\n",
    ] {
        assert_eq!(check(g), Ok(()), "{g}");
    }
}

#[test]
fn missing_root_and_undefined_rules_are_named() {
    assert!(err("answer ::= \"x\"").message.contains("no `root` rule"));
    assert!(err("").message.contains("empty"));
    let e = err("root ::= \"a\" thing\n");
    assert_eq!((e.line, e.column), (1, 14));
    assert!(
        e.message.contains("`thing` is used but never defined"),
        "{e}"
    );
}

#[test]
fn syntax_errors_have_line_and_column() {
    let e = err("root ::= \"ok\"\nnext := \"x\"\n");
    assert_eq!((e.line, e.column), (2, 6), "{e}");
    assert!(e.message.contains("::="), "{e}");
    let e = err("root ::= \"open\n");
    assert_eq!((e.line, e.column), (1, 10), "{e}");
    assert!(e.message.contains("never closed"), "{e}");
    let e = err("root ::= [a-z\n");
    assert!(e.message.contains("never closed"), "{e}");
    let e = err("root ::= * \"a\"");
    assert!(e.message.contains("needs an item before"), "{e}");
    let e = err("root ::= \"a\"{3000}");
    assert!(e.message.contains("2000"), "{e}");
    let e = err("root ::= \"\\q\"");
    assert!(e.message.contains("unknown escape"), "{e}");
    let e = err("root ::= (\"a\" \"b\"");
    assert!(e.message.contains("`)`"), "{e}");
    let e = err("root ::= \"a\" )");
    assert!(e.message.contains("unexpected ')'"), "{e}");
}

#[test]
fn left_recursion_is_refused_like_llama_cpp() {
    let e = err("root ::= expr\nexpr ::= expr \"+\" [0-9] | [0-9]\n");
    assert!(e.message.contains("`expr` is left-recursive"), "{e}");
    assert_eq!(e.line, 2);
    // Through a prefix that may be empty (llama.cpp's own test misses this one and then
    // grows its parse stacks without end).
    let e = err("root ::= a root \"x\"\na ::= \"y\"?\n");
    assert!(e.message.contains("`root` is left-recursive"), "{e}");
    let e = err("root ::= \"y\"? root \"x\"\n");
    assert!(e.message.contains("`root` is left-recursive"), "{e}");
    // Right recursion is fine.
    assert_eq!(check("root ::= [0-9] root | [0-9]\n"), Ok(()));
}

#[test]
fn nul_bytes_are_refused() {
    let e = err("root ::= \"a\"\0");
    assert!(e.message.contains("NUL"), "{e}");
}

#[test]
fn a_root_left_only_in_a_replaced_rule_is_undefined() {
    // llama.cpp crashes (SIGSEGV) on this: `root` has an id but no rule once `b` is redefined.
    let e = err("b ::= b | [0-9-] root\nb ::= [a-z]\n");
    assert!(
        e.message.contains("`root` is used but never defined"),
        "{e}"
    );
}
