//! The workbook reader never panics, whatever it is given: random bytes, and thousands of
//! mutations of a real workbook (flipped bytes, truncations, spliced zips). A stand-in for a
//! cargo-fuzz target, which needs a nightly toolchain this workplace cannot install.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hearth_docs::workbook::*;
use rand::{Rng, SeedableRng};

fn sample() -> Vec<u8> {
    write_workbook(&WorkbookSpec {
        locals: Vec::new(),
        mark: mark_for("S001", "2026/27", 1),
        contract: ContractSheet {
            service_reference: "S001".into(),
            contracted_units: 12,
            ..Default::default()
        },
        quarters: vec![(1, "2026/27 Q1".into(), 91), (2, "2026/27 Q2".into(), 92)],
        indicators: vec![IndicatorRow {
            label: "KPI 1".into(),
            formula: "B8/B7*100".into(),
            trigger: Some((90.0, true)),
        }],
        prefill: vec![
            (1, "service_users_supported".into(), 20),
            (1, "departures".into(), 3),
        ],
    })
    .unwrap()
}

#[test]
fn random_and_mutated_inputs_never_panic() {
    let base = sample();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261122);
    let mut refused = 0;
    for i in 0..3_000 {
        let input: Vec<u8> = match i % 4 {
            0 => (0..rng.gen_range(0..4096)).map(|_| rng.gen()).collect(),
            1 => {
                let mut b = base.clone();
                for _ in 0..rng.gen_range(1..20) {
                    let at = rng.gen_range(0..b.len());
                    b[at] = rng.gen();
                }
                b
            }
            2 => base[..rng.gen_range(0..base.len())].to_vec(),
            _ => {
                let cut = rng.gen_range(0..base.len());
                let mut b = base[..cut].to_vec();
                b.extend_from_slice(&base[rng.gen_range(0..base.len())..]);
                b
            }
        };
        // Either it reads (some mutations leave the sheet intact) or it says why; never a panic.
        match read_quarter(&input, 1 + (i % 2) as u8) {
            Ok(_) => {}
            Err(message) => {
                assert!(!message.is_empty());
                refused += 1;
            }
        }
    }
    assert!(
        refused > 1_000,
        "most damaged files are refused with a reason ({refused})"
    );
}
