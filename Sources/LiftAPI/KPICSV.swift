import Foundation
import LiftStore

/// The section 7 figures as the API gives them: JSON, or CSV with one `figure,value` row each (top lists as
/// `top_…_N,id,count`). The command line (`liftwatch kpis`) prints the same.
public enum KPICSV {
    /// The JSON body of `GET /api/v1/kpis`.
    public static func json(_ report: KPIReport) throws -> Data {
        try JSONEncoder.snakeCase.encode(report)
    }

    public static func render(_ r: KPIReport) -> String {
        var rows: [[String]] = [["figure", "value", "count"]]
        func add(_ name: String, _ value: Double?) { rows.append([name, value.map { String(format: "%.4f", $0) } ?? "", ""]) }
        func add(_ name: String, _ value: Int) { rows.append([name, String(value), ""]) }
        rows.append(["region", r.scope.region ?? "", ""])
        rows.append(["contractor", r.scope.contractor ?? "", ""])
        add("from", Int(r.scope.from))
        add("to", Int(r.scope.to))
        add("elevators_in_service", r.elevatorsInService)
        add("elevators_out_of_service_for_safety", r.elevatorsOutOfServiceForSafety)
        add("share_online", r.shareOnline)
        add("elevator_months", r.elevatorMonths)
        add("faults", r.faults)
        add("faults_per_100_elevator_months", r.faultsPer100ElevatorMonths)
        for (k, v) in r.faultsPer100ElevatorMonthsByClass.sorted(by: { $0.key < $1.key }) { add("faults_per_100_elevator_months_\(k)", v) }
        add("entrapments", r.entrapments)
        add("entrapments_per_100_elevator_months", r.entrapmentsPer100ElevatorMonths)
        add("rescue_tickets", r.rescueTickets)
        add("rescue_tickets_cancelled", r.rescueTicketsCancelled)
        add("rescue_mean_seconds_to_acknowledge", r.rescueMeanSecondsToAcknowledge)
        add("rescue_mean_seconds_to_arrive", r.rescueMeanSecondsToArrive)
        add("rescue_share_on_site_within_30_minutes", r.rescueShareOnSiteWithin30Minutes)
        add("rescue_mean_seconds_to_resolve", r.rescueMeanSecondsToResolve)
        let d = r.rescueDispatch
        add("rescue_dispatch_rescues", d.rescues)
        add("rescue_dispatch_share_acknowledged_within_3_minutes", d.shareAcknowledgedWithin3Minutes)
        add("rescue_dispatch_mean_seconds_to_release", d.meanSecondsToRelease)
        add("rescue_dispatch_share_escalated", d.shareEscalated)
        add("rescue_dispatch_escalated_to_rescue_station", d.escalatedToRescueStation)
        add("rescue_dispatch_escalated_to_fire_brigade", d.escalatedToFireBrigade)
        add("rescue_dispatch_property_manager_answer_rate", d.propertyManagerAnswerRate)
        add("rescue_dispatch_passengers_released", d.passengersReleased)
        add("rescue_dispatch_injuries", d.injuries)
        add("rescue_dispatch_share_followed_up", d.shareFollowedUp)
        for (hour, n) in d.byHour.enumerated() { add(String(format: "rescue_dispatch_by_hour_%02d", hour), n) }
        for (cause, n) in d.byCause.sorted(by: { $0.key < $1.key }) { add("rescue_dispatch_by_cause_\(cause)", n) }
        add("maintenance_due", r.maintenanceDue)
        add("maintenance_on_time", r.maintenanceOnTime)
        add("maintenance_on_time_rate", r.maintenanceOnTimeRate)
        add("overdue_tickets_now", r.overdueTicketsNow)
        add("unverified_closures", r.unverifiedClosures)
        add("maintenance_records", r.maintenanceRecords.records)
        add("maintenance_records_flagged", r.maintenanceRecords.flagged)
        add("maintenance_records_share_flagged", r.maintenanceRecords.shareFlagged)
        add("maintenance_records_share_confirmed", r.maintenanceRecords.shareConfirmed)
        add("maintenance_resolved_without_record", r.maintenanceRecords.resolvedWithoutRecord)
        for (flag, n) in r.maintenanceRecords.byFlag.sorted(by: { $0.key < $1.key }) { add("maintenance_records_flag_\(flag)", n) }
        add("repeat_fault_elevators", r.repeatFaultElevators)
        add("callbacks", r.callbacks)
        add("inspections_overdue", r.inspectionsOverdue)
        add("self_tests_overdue", r.selfTestsOverdue)
        add("trips", r.trips)
        add("faults_per_10000_trips", r.faultsPer10000Trips)
        for (name, list) in [
            ("top_elevators_by_entrapments", r.topElevatorsByEntrapments), ("top_elevators_by_faults", r.topElevatorsByFaults),
            ("top_units_by_entrapments", r.topUnitsByEntrapments), ("top_units_by_faults", r.topUnitsByFaults),
            ("top_contractors_by_entrapments", r.topContractorsByEntrapments), ("top_contractors_by_faults", r.topContractorsByFaults),
        ] {
            for (i, item) in list.enumerated() { rows.append(["\(name)_\(i + 1)", item.id, String(item.count)]) }
        }
        return rows.map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// Quotes a field holding a delimiter, quote or line break (ids and numbers never do).
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
