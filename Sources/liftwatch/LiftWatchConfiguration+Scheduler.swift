import Foundation
import LiftCore
import LiftScheduler
import LiftStore

extension LiftWatchConfiguration {
    /// The residents' pages' hotlines, from `residents.*`.
    var rescueHotlines: RescueHotlines {
        // The loader refused any entry that is not PREFIX:NUMBER.
        let entries = residents.rescueHotlines.compactMap(RescueHotlines.entry)
        let digits = residents.rescueCodeDigits.compactMap(RescueHotlines.codeDigitsEntry)
        return RescueHotlines(
            national: residents.rescueHotline, byRegion: Dictionary(entries, uniquingKeysWith: { _, last in last }),
            codeDigits: Dictionary(digits, uniquingKeysWith: { _, last in last }))
    }

    /// What makes a maintenance record look false, from `scheduler.visit_*`.
    var visitPolicy: VisitPolicy {
        let m = scheduler.visitMinimumMinutes
        return VisitPolicy(
            minimumMinutes: [.halfMonth: m[0], .quarter: m[1], .halfYear: m[2], .annual: m[3]],
            maximumDistanceMetres: Double(scheduler.visitMaximumDistanceMetres), maximumVisitsPerTechnicianDay: scheduler.visitsPerTechnicianDay)
    }

    /// When a late rescue escalates past its maintainer, from `sla.rescue_fire_brigade_after_minutes`.
    var rescueEscalationPolicy: RescueEscalationPolicy {
        RescueEscalationPolicy(fireBrigadeAfterMs: Int64(sla.rescueFireBrigadeAfterMinutes) * 60_000)
    }

    /// The store's retention, from `retention.*` and `ingest.dead_letters_per_elevator`.
    var retentionPolicy: RetentionPolicy {
        RetentionPolicy(
            rawTelemetryDays: retention.rawTelemetryDays, rollupDays: retention.rollupDays, minuteRollupDays: retention.minuteRollupDays,
            eventDays: retention.eventDays, deadLetterDays: retention.deadLetterDays, deadLettersPerElevator: ingest.deadLettersPerElevator)
    }

    /// The scheduler's settings: SLA minutes, regimes and thresholds mapped onto `SchedulerConfiguration`.
    /// - Throws: `CommandFailure` naming the file when the health thresholds cannot be read.
    func schedulerConfiguration() throws -> SchedulerConfiguration {
        var c = SchedulerConfiguration()
        let minute: Int64 = 60_000, hour: Int64 = 3_600_000
        c.sla.limits[.rescue] = .init(acknowledgeMs: Int64(sla.rescueAckMinutes) * minute, onSiteMs: Int64(sla.rescueOnSiteMinutes) * minute)
        c.sla.limits[.safetyRepair] = .init(acknowledgeMs: Int64(sla.safetyAckMinutes) * minute, onSiteMs: Int64(sla.safetyOnSiteMinutes) * minute)
        c.sla.limits[.repair] = .init(onSiteMs: Int64(sla.repairOnSiteHours) * hour)
        c.sla.limits[.minorRepair] = .init(resolveMs: Int64(sla.minorResolveHours) * hour)
        c.sla.limits[.communication] = .init(onSiteMs: Int64(sla.communicationOnSiteHours) * hour)
        c.sla.limits[.predictive] = .init(resolveMs: Int64(sla.predictiveResolveDays) * 24 * hour)
        c.sla.ruralRescueOnSiteMs = Int64(sla.ruralRescueOnSiteMinutes) * minute
        c.sla.ruralRegions = Set(sla.ruralRegions)
        // Region overrides, field by field (SLAPolicy applies each prefix's fields over the shorter ones').
        var byPrefix: [String: [(String, Int)]] = [:]
        for entry in sla.regionOverrides {
            let parts = entry.split(separator: ":", maxSplits: 1)
            let assignment = parts[1].split(separator: "=", maxSplits: 1)
            byPrefix[String(parts[0]), default: []].append((String(assignment[0]), Int(assignment[1]) ?? 0))
        }
        for (prefix, entries) in byPrefix {
            var limits: [TicketType: SLAPolicy.Limits] = [:]
            for (key, value) in entries {
                guard let rule = SLA.overridable[key] else { continue }
                rule.deadline.set(Int64(value) * rule.unit, in: &limits[rule.type, default: SLAPolicy.Limits()])
            }
            c.sla.regionOverrides[prefix] = limits
        }
        c.offlineThresholdMs = Int64(sla.offlineThresholdMinutes) * minute
        c.passIntervalSeconds = scheduler.passIntervalSeconds
        c.maintenance = MaintenanceRegime(openDaysBefore: scheduler.maintenanceOpenDaysBefore, defaultOnDemandMaximumDays: scheduler.onDemandMaximumDays)
        c.inspection = InspectionRegime(openDaysBefore: scheduler.inspectionOpenDaysBefore)
        c.outageMinimumElevators = scheduler.outageMinimumElevators
        c.outageShare = Double(scheduler.outageSharePercent) / 100
        c.outageWindowMs = Int64(scheduler.outageWindowSeconds) * 1000
        c.trendIntervalMs = Int64(scheduler.trendIntervalMinutes) * minute
        // No file: the built-in thresholds (the ones config/health.json states); a file that is there must be right.
        guard FileManager.default.fileExists(atPath: scheduler.healthThresholdsFile) else { return c }
        do {
            c.trends = try TrendDetector.Thresholds.load(scheduler.healthThresholdsFile)
        } catch {
            throw CommandFailure("scheduler.health_thresholds_file: cannot use \(scheduler.healthThresholdsFile): \(error)")
        }
        return c
    }

    /// `fault_codes.region_platforms` as prefix → platform.
    var regionPlatformMap: [String: String] {
        Dictionary(regionPlatforms.compactMap { pair -> (String, String)? in
            let parts = pair.split(separator: "=")
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        }, uniquingKeysWith: { _, last in last })
    }
}
