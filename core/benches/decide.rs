//! Native timings of `decide` and `sweep` for `npm run bench` (bench/run.ts reads the JSON this
//! prints). A small harness rather than criterion: no new dependencies in Cargo.lock, a quick
//! mode that fits in seconds, and raw percentiles (median, p99) instead of criterion's estimates.
//!
//! ```sh
//! cargo bench -p jit-admin-core --bench decide -- [--quick] [--fixtures bench/out/fixtures.json] [--out FILE]
//! ```
//!
//! The inputs come from `bench/out/fixtures.json`, which bench/fixtures.ts makes with the real
//! core (the Wasm bench reads the same file). Every figure is warmed up first, then sampled one
//! call at a time; input copies are made outside the timed region.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use jit_admin_core::boundary::{decide_json, sweep_json};
use jit_admin_core::{decide, sweep, DecideInput, SweepInput};
use serde_json::{json, Map, Value};

type Fallible<T> = Result<T, String>;

struct Options {
    quick: bool,
    /// `decide` or `sweep`: run only that part (for profiling).
    only: Option<String>,
    fixtures: PathBuf,
    out: Option<PathBuf>,
}

fn options() -> Fallible<Options> {
    let mut quick = false;
    let mut fixtures = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../bench/out/fixtures.json"
    ));
    let mut out = None;
    let mut only = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--fixtures" => fixtures = args.next().ok_or("--fixtures needs a path")?.into(),
            "--out" => out = Some(args.next().ok_or("--out needs a path")?.into()),
            "--only" => only = Some(args.next().ok_or("--only needs `decide` or `sweep`")?),
            // `cargo bench` passes `--bench`; a filter or other harness flags are ignored too.
            _ => {}
        }
    }
    Ok(Options {
        quick,
        only,
        fixtures,
        out,
    })
}

/// Nanoseconds of one sample.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Warms `run` up for `warmup`, then times `samples` calls one by one. `make` prepares each
/// call's input outside the timed region (in batches, so allocation patterns stay realistic).
fn measure<I, O>(
    warmup: Duration,
    samples: usize,
    mut make: impl FnMut() -> I,
    mut run: impl FnMut(I) -> O,
) -> Vec<u64> {
    let started = Instant::now();
    while started.elapsed() < warmup {
        black_box(run(make()));
    }
    const BATCH: usize = 128;
    let mut out = Vec::with_capacity(samples);
    while out.len() < samples {
        let batch: Vec<I> = (0..BATCH.min(samples - out.len()))
            .map(|_| make())
            .collect();
        for input in batch {
            let t = Instant::now();
            let output = run(input);
            let dt = t.elapsed();
            black_box(&output);
            drop(output);
            out.push(nanos(dt));
        }
    }
    out
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted
        .get(rank.min(sorted.len()) - 1)
        .copied()
        .unwrap_or_default()
}

/// Median, p99, min, max and mean, in the given unit (1e3: µs, 1e6: ms).
fn summary(samples: &[u64], unit: f64) -> Value {
    let mut s = samples.to_vec();
    s.sort_unstable();
    let scale = |ns: u64| (ns as f64 / unit * 1000.0).round() / 1000.0;
    let mean = s.iter().map(|&n| n as f64).sum::<f64>() / s.len().max(1) as f64;
    json!({
        "n": s.len(),
        "median": scale(percentile(&s, 50.0)),
        "p99": scale(percentile(&s, 99.0)),
        "min": scale(s.first().copied().unwrap_or_default()),
        "max": scale(s.last().copied().unwrap_or_default()),
        "mean": (mean / unit * 1000.0).round() / 1000.0,
    })
}

fn field<'a>(v: &'a Value, key: &str) -> Fallible<&'a Value> {
    v.get(key)
        .ok_or_else(|| format!("fixtures: missing `{key}`"))
}

/// The decide cases: each one timed through the typed `decide` and through `decide_json`
/// (JSON text in, JSON text out: the Wasm export's work minus the JS side).
fn decide_cases(fixtures: &Value, quick: bool) -> Fallible<Value> {
    let (warmup, samples) = if quick {
        (Duration::from_millis(100), 1_000)
    } else {
        (Duration::from_millis(500), 5_000)
    };
    let cases = field(fixtures, "cases")?
        .as_array()
        .ok_or("fixtures: `cases` is not an array")?;
    let mut out = Map::new();
    let (mut pooled_typed, mut pooled_value) = (Vec::new(), Vec::new());
    for case in cases {
        let name = field(case, "name")?.as_str().unwrap_or("?").to_owned();
        let value = field(case, "input")?.clone();
        let typed: DecideInput = serde_json::from_value(value.clone())
            .map_err(|e| format!("fixtures: case {name} does not read as a DecideInput: {e}"))?;
        // The invariant: every case is accepted natively, as it was by the Wasm core.
        let text = value.to_string();
        let answer = decide_json(&text);
        if serde_json::from_str::<Value>(&answer)
            .ok()
            .and_then(|a| a.get("ok").cloned())
            != Some(Value::Bool(true))
        {
            return Err(format!("case {name}: native decide refused it: {answer}"));
        }
        let typed_ns = measure(warmup, samples, || typed.clone(), decide);
        let value_ns = measure(warmup, samples, || (), |()| decide_json(black_box(&text)));
        if case.get("headline") == Some(&Value::Bool(true)) {
            pooled_typed.extend_from_slice(&typed_ns);
            pooled_value.extend_from_slice(&value_ns);
        }
        out.insert(
            name,
            json!({ "typedUs": summary(&typed_ns, 1e3), "valueUs": summary(&value_ns, 1e3) }),
        );
    }
    Ok(json!({
        "cases": out,
        "headline": { "typedUs": summary(&pooled_typed, 1e3), "valueUs": summary(&pooled_value, 1e3) },
        "samplesPerCase": samples,
        "warmupMs": warmup.as_millis(),
    }))
}

/// `n` grants and holders from the templates; the same recipe as bench/sweep-inputs.ts.
fn expand(t: &Value, n: usize) -> Fallible<Value> {
    let policy = field(t, "policy")?;
    let targets = field(policy, "targets")?
        .as_array()
        .ok_or("fixtures: no targets")?;
    let mut holders: Vec<Vec<Value>> = vec![Vec::new(); targets.len()];
    for (i, target) in targets.iter().enumerate() {
        if field(target, "access")?.get("type") == Some(&json!("orgRole")) {
            if let (Some(list), Some(permanent)) = (
                holders.get_mut(i),
                policy.get("permanentAdmins").and_then(Value::as_array),
            ) {
                list.extend(permanent.iter().cloned());
            }
        }
    }
    let templates = [field(t, "ended")?, field(t, "due")?, field(t, "active")?];
    let mut grants = Vec::with_capacity(n);
    for i in 0..n {
        let ti = i % targets.len();
        let target = targets.get(ti).ok_or("fixtures: no targets")?;
        let kind = match i % 100 {
            0 => templates[0],
            1 => templates[1],
            _ => templates[2],
        };
        let account = json!(format!("u{i:06}"));
        let id = json!(format!("JIT-{}", i + 1));
        let mut g = kind.clone();
        let obj = g
            .as_object_mut()
            .ok_or("fixtures: a grant is not an object")?;
        obj.insert("id".into(), id.clone());
        obj.insert("issueKey".into(), id);
        obj.insert("subject".into(), account.clone());
        obj.insert("requester".into(), account.clone());
        obj.insert("target".into(), field(target, "key")?.clone());
        obj.insert("targetLabel".into(), field(target, "label")?.clone());
        obj.insert("access".into(), field(target, "access")?.clone());
        grants.push(g);
        if let Some(list) = holders.get_mut(ti) {
            list.push(account);
        }
    }
    let snapshot: Vec<Value> = targets
        .iter()
        .zip(holders)
        .map(|(target, list)| {
            json!({ "target": target.get("key"), "complete": true, "externallySynced": false, "holders": list })
        })
        .collect();
    Ok(json!({
        "policy": policy,
        "grants": grants,
        "snapshot": { "complete": true, "targets": snapshot },
        "now": field(t, "now")?,
        "auditHead": field(t, "auditHead")?,
        "previousFingerprint": null,
    }))
}

/// Sweep sizes: the growth table. 100,000 only in the full run.
fn sweep_sizes(quick: bool) -> &'static [usize] {
    if quick {
        &[100, 1_000, 10_000]
    } else {
        &[100, 1_000, 10_000, 100_000]
    }
}

/// How many samples a sweep of this cost gets: as many as fit in the time budget, within bounds
/// (bench/wasm.ts uses the same rule).
fn sweep_samples(quick: bool, first: Duration) -> usize {
    let (budget, min, max) = if quick {
        (1.0, 1.0, 200.0)
    } else {
        (8.0, 3.0, 2_000.0)
    };
    (budget / first.as_secs_f64().max(1e-6)).clamp(min, max) as usize
}

/// Sweeps of growing size, typed and on JSON text, with the outcome's counts and fingerprint
/// (bench/run.ts checks the Wasm sweep reaches the same).
fn sweeps(fixtures: &Value, quick: bool) -> Fallible<Value> {
    let template = field(fixtures, "sweep")?;
    let mut out = Map::new();
    for &n in sweep_sizes(quick) {
        let value = expand(template, n)?;
        let typed: SweepInput = serde_json::from_value(value.clone())
            .map_err(|e| format!("sweep input ({n}) does not read: {e}"))?;
        // The first call is the warm-up, and sizes the sample count.
        let t = Instant::now();
        let outcome = sweep(&typed);
        let samples = sweep_samples(quick, t.elapsed());
        let typed_ns = measure(Duration::ZERO, samples, || (), |()| sweep(&typed));
        let text = value.to_string();
        let t = Instant::now();
        black_box(sweep_json(black_box(&text)));
        let value_samples = sweep_samples(quick, t.elapsed());
        let value_ns = measure(
            Duration::ZERO,
            value_samples,
            || (),
            |()| sweep_json(black_box(&text)),
        );
        let revokes = outcome
            .actions
            .iter()
            .filter(|a| matches!(a, jit_admin_core::Action::Revoke { .. }))
            .count();
        let (typed_ms, value_ms) = (summary(&typed_ns, 1e6), summary(&value_ns, 1e6));
        eprintln!(
            "native sweep {n:>6}: typed median {} ms ({samples} samples), JSON text median {} ms ({value_samples} samples)",
            typed_ms["median"], value_ms["median"]
        );
        out.insert(
            n.to_string(),
            json!({
                "typedMs": typed_ms,
                "valueMs": value_ms,
                "check": {
                    "due": outcome.due.len(),
                    "findings": outcome.findings.len(),
                    "actions": outcome.actions.len(),
                    "revokes": revokes,
                    "fingerprint": outcome.fingerprint,
                },
            }),
        );
    }
    Ok(Value::Object(out))
}

fn run() -> Fallible<()> {
    let options = options()?;
    let text = std::fs::read_to_string(&options.fixtures).map_err(|e| {
        format!(
            "cannot read {} ({e}); `npm run bench` writes it (bench/fixtures.ts)",
            options.fixtures.display()
        )
    })?;
    let fixtures: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let wanted = |part: &str| options.only.as_deref().is_none_or(|o| o == part);
    let decide = if wanted("decide") {
        let d = decide_cases(&fixtures, options.quick)?;
        eprintln!(
            "native decide (headline events pooled): typed median {} µs, JSON text median {} µs",
            d["headline"]["typedUs"]["median"], d["headline"]["valueUs"]["median"]
        );
        d
    } else {
        Value::Null
    };
    let sweep = if wanted("sweep") {
        sweeps(&fixtures, options.quick)?
    } else {
        Value::Null
    };
    let report = json!({
        "quick": options.quick,
        "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
        "decide": decide,
        "sweep": sweep,
    });
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    match options.out {
        Some(path) => std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display())),
        None => {
            println!("{text}");
            Ok(())
        }
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("bench decide: {e}");
        std::process::exit(1);
    }
}
