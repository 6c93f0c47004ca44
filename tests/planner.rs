#[test]
fn dump() {
    let Ok(p) = std::env::var("DUMP") else { return };
    let path = std::path::PathBuf::from(p);
    let env = |n: &str| {
        if n == "SET" {
            Some("x".to_string())
        } else {
            None
        }
    };
    let loaded = cutover::runbook::load_with_env(&path, &env);
    for d in &loaded.diagnostics {
        println!(
            "{:?} {} {}:{} {} | {:?} | related {:?}",
            d.level,
            d.code,
            d.loc.map_or(0, |l| l.line),
            d.loc.map_or(0, |l| l.column),
            d.message,
            d.help,
            d.related
                .iter()
                .map(|r| (r.loc.line, r.loc.column, r.label.clone()))
                .collect::<Vec<_>>()
        );
    }
    if let Some(rb) = &loaded.runbook {
        let plan = cutover::plan::plan(rb);
        for d in &plan.diagnostics {
            println!(
                "PLAN {:?} {} {} {}:{} {} | {:?} | related {:?}",
                d.level,
                d.code,
                d.file.display(),
                d.loc.map_or(0, |l| l.line),
                d.loc.map_or(0, |l| l.column),
                d.message,
                d.help,
                d.related
                    .iter()
                    .map(|r| (r.loc.line, r.loc.column, r.label.clone()))
                    .collect::<Vec<_>>()
            );
        }
    }
}
