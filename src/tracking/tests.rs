use super::*;

#[test]
fn every_status_reads_back_as_itself_and_strangers_are_unknown() {
    for status in [
        StepStatus::Started,
        StepStatus::Applied,
        StepStatus::Failed,
        StepStatus::RolledBack,
        StepStatus::Done,
        StepStatus::Passed,
        StepStatus::Decided,
    ] {
        assert_eq!(StepStatus::parse(status.as_str()), status);
    }
    assert_eq!(StepStatus::parse("vanished"), StepStatus::Unknown);
    assert_eq!(StepStatus::parse("Applied"), StepStatus::Unknown);
}

#[test]
fn a_stored_outcome_reads_back_and_an_unfinished_run_has_none() {
    assert_eq!(
        parse_outcome(Some("rolled_back")),
        Some(Outcome::RolledBack)
    );
    assert_eq!(parse_outcome(Some("succeeded")), Some(Outcome::Succeeded));
    assert_eq!(parse_outcome(None), None);
    assert_eq!(parse_outcome(Some("exploded")), None);
}
