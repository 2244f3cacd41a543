//! Worked examples: three districts with round numbers, every expected figure computed by
//! hand in the comments.

use super::*;

fn fen(yuan: i64) -> Option<Fen> {
    Some(Fen::from_yuan(yuan))
}

fn districts() -> Vec<DistrictInput> {
    vec![
        DistrictInput {
            code: "369902".into(),
            name: "甲区".into(),
            residents: Some(Residents {
                year: 2025,
                urban: 300_000,
                rural: 100_000,
                older: Some(80_000),
            }),
            standard_urban: fen(1000),
            standard_rural: fen(800),
            dibao_urban: 1200,
            dibao_rural: 800,
            tekun: 200,
            authorised: 40,
            filled: 36,
            attendances: 18,
            regular_spent: fen(1_650_000),
            elderly: ElderlyInput {
                facilities: 5,
                care_beds: 1200,
                communities: 40,
                communities_with_daycare: 30,
                villages: 20,
                villages_with_happiness_home: 5,
                institutions: 4,
                institution_inspections: 6,
            },
            community_workers: CommunityWorkersInput::default(),
            funeral: FuneralInput::default(),
        },
        DistrictInput {
            code: "369903".into(),
            name: "乙区".into(),
            residents: Some(Residents {
                year: 2025,
                urban: 50_000,
                rural: 150_000,
                older: None,
            }),
            standard_urban: fen(900),
            standard_rural: fen(810),
            dibao_urban: 100,
            dibao_rural: 1500,
            tekun: 300,
            authorised: 20,
            filled: 20,
            attendances: 30,
            // Paid nothing in the quarter though payrolls were reconciled: 0, not unknown.
            regular_spent: fen(0),
            elderly: ElderlyInput {
                facilities: 2,
                care_beds: 300,
                communities: 10,
                communities_with_daycare: 2,
                villages: 30,
                villages_with_happiness_home: 30,
                institutions: 0,
                institution_inspections: 0,
            },
            community_workers: CommunityWorkersInput::default(),
            funeral: FuneralInput::default(),
        },
        // No population entered, no rural standard, no staff register.
        DistrictInput {
            code: "369921".into(),
            name: "丙县".into(),
            standard_urban: fen(950),
            dibao_urban: 10,
            ..Default::default()
        },
    ]
}

fn indicator<'a>(b: &'a Balance, key: &str) -> &'a Indicator {
    b.indicators.iter().find(|i| i.key == key).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

fn assert_values(b: &Balance, key: &str, expected: &[Option<f64>]) {
    let got = &indicator(b, key).values;
    assert_eq!(got.len(), expected.len(), "{key}");
    for (g, e) in got.iter().zip(expected) {
        match (g, e) {
            (Some(g), Some(e)) => assert!(close(*g, *e), "{key}: {g} != {e}"),
            (None, None) => {}
            _ => panic!("{key}: {got:?} != {expected:?}"),
        }
    }
}

#[test]
fn per_district_indicators_by_hand() {
    let b = analyse("2026Q3", "2026-09-30", &districts());
    assert_values(
        &b,
        "dibao_standard_urban",
        &[Some(1000.0), Some(900.0), Some(950.0)],
    );
    assert_values(
        &b,
        "dibao_standard_rural",
        &[Some(800.0), Some(810.0), None],
    );
    // 800 / 1000 and 810 / 900.
    assert_values(
        &b,
        "rural_to_urban_standard_pct",
        &[Some(80.0), Some(90.0), None],
    );
    // (1200 + 800) / 400,000 × 1000 = 5; (100 + 1500) / 200,000 × 1000 = 8.
    assert_values(&b, "dibao_per_1000", &[Some(5.0), Some(8.0), None]);
    // 1200 / 300,000 × 1000 = 4; 100 / 50,000 × 1000 = 2.
    assert_values(&b, "dibao_per_1000_urban", &[Some(4.0), Some(2.0), None]);
    // 800 / 100,000 × 1000 = 8; 1500 / 150,000 × 1000 = 10.
    assert_values(&b, "dibao_per_1000_rural", &[Some(8.0), Some(10.0), None]);
    assert_values(&b, "tekun_per_1000", &[Some(0.5), Some(1.5), None]);
    // 36 / 400,000 × 10,000 = 0.9; 20 / 200,000 × 10,000 = 1.
    assert_values(&b, "staff_per_10000", &[Some(0.9), Some(1.0), None]);
    assert_values(&b, "staff_filled_pct", &[Some(90.0), Some(100.0), None]);
    // 18 / 36 and 30 / 20.
    assert_values(&b, "trainings_per_staff", &[Some(0.5), Some(1.5), None]);
    // 1,650,000 yuan / (1200 + 800 + 200) persons = 750; 乙区 0 / 1900; 丙县 no payroll.
    assert_values(
        &b,
        "spending_per_recipient",
        &[Some(750.0), Some(0.0), None],
    );
    assert_eq!(b.without_residents, vec!["丙县".to_string()]);
}

#[test]
fn spread_by_hand() {
    let b = analyse("2026Q3", "2026-09-30", &districts());
    // 1000, 900, 950: mean 950, σ = √((50² + 50² + 0²) / 3) = 40.8248…, CV = 0.042973…
    let s = indicator(&b, "dibao_standard_urban")
        .spread
        .clone()
        .unwrap();
    assert_eq!(
        (s.max_district.as_str(), s.min_district.as_str()),
        ("甲区", "乙区")
    );
    assert!(close(s.max, 1000.0) && close(s.min, 900.0) && close(s.mean, 950.0));
    assert!(close(s.ratio.unwrap(), 1000.0 / 900.0));
    assert!(close(s.cv.unwrap(), (5000.0f64 / 3.0).sqrt() / 950.0));
    assert_eq!(s.districts, 3);
    // 5 and 8, the third district has none: ratio 1.6, mean 6.5, σ 1.5, CV 0.230769…
    let s = indicator(&b, "dibao_per_1000").spread.clone().unwrap();
    assert_eq!(s.districts, 2);
    assert!(close(s.ratio.unwrap(), 1.6));
    assert!(close(s.cv.unwrap(), 1.5 / 6.5));
}

#[test]
fn urban_rural_gap_by_hand() {
    let b = analyse("2026Q3", "2026-09-30", &districts());
    // Standards over the districts with both: urban (1000 + 900) / 2 = 950, rural
    // (800 + 810) / 2 = 805; 丙县's urban 950 alone is left out.
    let g = &b.gaps[0];
    assert!(close(g.urban.unwrap(), 950.0) && close(g.rural.unwrap(), 805.0));
    assert!(close(g.rural_to_urban.unwrap(), 805.0 / 950.0));
    let mut only_urban_high = districts();
    only_urban_high[2].standard_urban = fen(2000);
    let b = analyse("2026Q3", "2026-09-30", &only_urban_high);
    assert!(
        close(b.gaps[0].urban.unwrap(), 950.0),
        "a one-sided district does not move the gap"
    );
    // Coverage over the districts with a population: urban 1300 / 350,000 × 1000,
    // rural 2300 / 250,000 × 1000 = 9.2. The third district's 10 urban persons are left
    // out with its missing population.
    let g = &b.gaps[1];
    assert!(close(g.urban.unwrap(), 1300.0 / 350.0));
    assert!(close(g.rural.unwrap(), 9.2));
}

#[test]
fn every_indicator_has_its_module() {
    let b = analyse("2026Q3", "2026-09-30", &districts());
    assert!(b.indicators.iter().all(|i| i.missing.is_none()));
}

#[test]
fn community_workers_per_10000_by_hand() {
    let mut ds = districts();
    // 甲: 120 in post of 130 on the register, 400,000 residents: 120 / 400,000 × 10,000
    // = 3. 乙: a register whose workers have all left: 0 / 200,000 = 0, not unknown.
    // 丙: no register and no population: unknown.
    ds[0].community_workers = CommunityWorkersInput {
        registered: 130,
        in_post: 120,
    };
    ds[1].community_workers = CommunityWorkersInput {
        registered: 4,
        in_post: 0,
    };
    let b = analyse("2026Q3", "2026-09-30", &ds);
    assert_values(
        &b,
        "community_workers_per_10000",
        &[Some(3.0), Some(0.0), None],
    );
    // 3 and 0: no max/min ratio, mean 1.5, σ 1.5, CV 1.
    let s = indicator(&b, "community_workers_per_10000")
        .spread
        .clone()
        .unwrap();
    assert_eq!((s.max_district.as_str(), s.ratio), ("甲区", None));
    assert!(close(s.cv.unwrap(), 1.0));
    // A district with a population but no register at all is unknown, not 0.
    ds[1].community_workers = CommunityWorkersInput::default();
    let b = analyse("2026Q3", "2026-09-30", &ds);
    assert_values(&b, "community_workers_per_10000", &[Some(3.0), None, None]);
}

#[test]
fn elderly_care_indicators_by_hand() {
    let b = analyse("2026Q3", "2026-09-30", &districts());
    // 甲: 1,200 beds for 80,000 older residents = 1.5 per 100; 乙 has no count of older
    // residents; 丙 has no facility on record at all: unknown, not 0.
    assert_values(&b, "care_beds_per_100_elderly", &[Some(1.5), None, None]);
    // 30 of 40 communities, 2 of 10.
    assert_values(
        &b,
        "communities_with_daycare_pct",
        &[Some(75.0), Some(20.0), None],
    );
    // 5 of 20 villages, 30 of 30.
    assert_values(
        &b,
        "villages_with_happiness_home_pct",
        &[Some(25.0), Some(100.0), None],
    );
    // 6 inspections of 4 institutions; 乙 has no institution.
    assert_values(&b, "inspections_per_institution", &[Some(1.5), None, None]);
}

#[test]
fn funeral_indicators_by_hand() {
    let mut ds = districts();
    // 甲: 90 cremations, 6 bodies buried in cemeteries, 4 违规土葬 found: 90 / 100 = 90%.
    // Two cemeteries in use with 1,000 + 200 plots (at completion and added by the
    // quarter's end), 1,150 taken: 50 free.
    ds[0].funeral = FuneralInput {
        cremations: 90,
        body_burials: 6,
        illegal_burials: 4,
        cemeteries: 3,
        capacity: 1200,
        taken: 1150,
    };
    // 乙: only illegal burials known — 0 of 2 = 0%, not unknown; its one cemetery is still
    // being built: nothing in use, 0 plots available, not unknown.
    ds[1].funeral = FuneralInput {
        illegal_burials: 2,
        cemeteries: 1,
        ..Default::default()
    };
    // 丙: no death handled and no cemetery on record: both unknown.
    let b = analyse("2026Q3", "2026-09-30", &ds);
    assert_values(&b, "cremation_rate_pct", &[Some(90.0), Some(0.0), None]);
    assert_values(&b, "plots_available", &[Some(50.0), Some(0.0), None]);
    let s = indicator(&b, "cremation_rate_pct").spread.clone().unwrap();
    assert_eq!((s.districts, s.ratio), (2, None));
    assert!(close(s.mean, 45.0));
}

#[test]
fn a_district_without_a_staff_register_is_unknown_not_zero() {
    let mut ds = districts();
    ds[1].authorised = 0;
    ds[1].filled = 0;
    let b = analyse("2026Q3", "2026-09-30", &ds);
    assert_values(&b, "staff_per_10000", &[Some(0.9), None, None]);
    assert_values(&b, "staff_filled_pct", &[Some(90.0), None, None]);
    assert_values(&b, "trainings_per_staff", &[Some(0.5), None, None]);
}

#[test]
fn spread_edge_cases() {
    assert_eq!(spread(&[]), None);
    // One district: no variation to speak of.
    let one = spread(&[("甲".into(), 4.0)]).unwrap();
    assert_eq!((one.ratio, one.cv), (Some(1.0), None));
    // A zero minimum has no ratio; a zero mean no CV.
    let zero = spread(&[("甲".into(), 0.0), ("乙".into(), 2.0)]).unwrap();
    assert_eq!(zero.ratio, None);
    assert!(close(zero.cv.unwrap(), 1.0));
    let zeros = spread(&[("甲".into(), 0.0), ("乙".into(), 0.0)]).unwrap();
    assert_eq!(zeros.cv, None);
}
