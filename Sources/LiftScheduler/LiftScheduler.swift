/// The maintenance scheduler: tickets from faults, the statutory maintenance regime and health trends.
///
/// Not built yet (issue 5). The module exists so that the package layout is the final one and ingestion can
/// already hand committed events to a consumer (`IngestService.onCommittedEvents`).
public enum LiftScheduler {}
