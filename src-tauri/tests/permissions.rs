//! The webview's permissions: every command build.rs declares is granted to the main window on
//! its own (`allow-<command>`), and nothing else is: a command left out of the capability is
//! refused at run time, and a grant without a command would be a hole.

use std::collections::BTreeSet;
use std::path::Path;

fn read(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

/// The strings in build.rs's `COMMANDS` list.
fn declared_commands() -> BTreeSet<String> {
    let build = read("build.rs");
    let start = build
        .find("const COMMANDS")
        .expect("build.rs declares COMMANDS");
    let list = &build[start..];
    let list = &list[list.find("= &[").unwrap() + 4..list.find("];").unwrap()];
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| item.trim_matches('"').to_string())
        .collect()
}

#[test]
fn each_command_has_its_own_permission_and_nothing_else_is_granted() {
    let commands = declared_commands();
    assert!(commands.contains("console_list_users"), "{commands:?}");
    assert!(
        !commands.contains("console_call"),
        "no command reaches any API path"
    );
    assert!(
        !commands.iter().any(|c| c.contains('"') || c.contains(' ')),
        "{commands:?}"
    );

    let capability: serde_json::Value =
        serde_json::from_str(&read("capabilities/default.json")).unwrap();
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
    let granted: BTreeSet<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().expect("a plain permission name").to_string())
        .collect();
    let expected: BTreeSet<String> = commands
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    assert_eq!(
        granted, expected,
        "capabilities/default.json must grant exactly one allow-… per command of build.rs"
    );
}

#[test]
fn every_declared_command_is_registered() {
    let lib = read("src/lib.rs");
    let handler = &lib[lib
        .find("generate_handler![")
        .expect("lib.rs registers the commands")..];
    let handler = &handler[..handler.find(']').unwrap()];
    let registered: BTreeSet<String> = handler["generate_handler![".len()..]
        .split(',')
        .map(|item| item.trim().rsplit("::").next().unwrap().to_string())
        .filter(|name| !name.is_empty())
        .collect();
    assert_eq!(registered, declared_commands());
}
