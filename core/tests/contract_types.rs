//! The generated TypeScript of the contract, kept honest: `forge-app/src/decision/contract.ts`
//! must be exactly what the Rust types derive today (`jit_admin_core::typescript`), every type an
//! input or answer mentions must be declared in it, and every event type the core reads must be
//! written in it. After a deliberate change, regenerate with
//! `UPDATE_CONTRACT_TS=1 cargo test -p jit-admin-core --test contract_types` and review the diff.

use std::fs;
use std::path::PathBuf;

use jit_admin_core::typescript::{
    contract_ts, undeclared, unwritten_event_types, CONTRACT_TS_PATH, REGENERATE,
};

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(CONTRACT_TS_PATH)
}

#[test]
fn the_generated_typescript_is_what_the_rust_types_derive() {
    let generated = contract_ts();
    if std::env::var_os("UPDATE_CONTRACT_TS").is_some() {
        fs::write(path(), &generated).expect("write the generated TypeScript");
        return;
    }
    let committed = fs::read_to_string(path()).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "{CONTRACT_TS_PATH} is stale (first difference at line {}); regenerate with `{REGENERATE}` and review the diff",
            line + 1
        );
    }
}

#[test]
fn every_type_an_input_or_answer_mentions_is_declared() {
    assert_eq!(undeclared(), Vec::<String>::new());
}

#[test]
fn every_event_type_the_core_reads_has_its_typescript_fields() {
    assert_eq!(unwritten_event_types(), Vec::<&str>::new());
}
