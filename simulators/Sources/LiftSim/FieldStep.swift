/// What the people around the elevators do in a scenario, through LiftWatch's API (`scenario run --api`), in order
/// once the fleet has run: the property manager taking charge, the maintainer's steps on a rescue, a resident's
/// report from the page in the car, a technician's maintenance record. Documented in docs/simulators.md.
public struct FieldStep: Sendable, Decodable {
    public enum Action: String, Sendable, Decodable {
        /// Creates the scenario's property manager (`<prefix>-PM`) and makes it the manager of `elevators`.
        case propertyManager = "property_manager"
        /// Takes `step` on the elevator's ticket of `type` (the newest): acknowledge, contact, arrive, release,
        /// follow_up, close, answer… with the rescue's details.
        case step
        /// A resident's report from `/lift/{id}` (`category`, `text`).
        case residentReport = "resident_report"
        /// Asks for an unscheduled maintenance visit of the elevator (a maintenance ticket opens now).
        case maintenanceRequest = "maintenance_request"
        /// A technician's record for the elevator's open maintenance ticket: checked in `seconds` before now, every
        /// checklist item `ok`, one photo, the technician `<prefix>-T1` (recorded first, certified).
        case maintenanceRecord = "maintenance_record"
        /// Waits until the elevator has an active ticket of `type` (at most `seconds`).
        case waitForTicket = "wait_for_ticket"
    }

    public var action: Action
    /// Seconds to wait before the action (real time: LiftWatch's deadlines run on its own clock).
    public var wait: Double
    public var elevator: Int?
    public var elevators: [Int]
    public var type: String?
    public var step: String?
    public var passengers: Int?
    public var injuries: Int?
    public var cause: String?
    public var responder: String?
    public var note: String?
    public var category: String?
    public var text: String?
    public var seconds: Double?

    enum CodingKeys: String, CodingKey {
        case action, wait, elevator, elevators, type, step, passengers, injuries, cause, responder, note, category, text, seconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        action = try c.decode(Action.self, forKey: .action)
        wait = try c.decodeIfPresent(Double.self, forKey: .wait) ?? 0
        elevator = try c.decodeIfPresent(Int.self, forKey: .elevator)
        elevators = try c.decodeIfPresent([Int].self, forKey: .elevators) ?? []
        type = try c.decodeIfPresent(String.self, forKey: .type)
        step = try c.decodeIfPresent(String.self, forKey: .step)
        passengers = try c.decodeIfPresent(Int.self, forKey: .passengers)
        injuries = try c.decodeIfPresent(Int.self, forKey: .injuries)
        cause = try c.decodeIfPresent(String.self, forKey: .cause)
        responder = try c.decodeIfPresent(String.self, forKey: .responder)
        note = try c.decodeIfPresent(String.self, forKey: .note)
        category = try c.decodeIfPresent(String.self, forKey: .category)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds)
    }

    /// Done before the fleet runs: what must be on record when the controllers' events arrive.
    public var beforeFleet: Bool { action == .propertyManager || action == .maintenanceRequest }

    /// What is wrong with the step in a fleet of `elevators`, if anything.
    func problem(fleet elevators: Int) -> String? {
        let named = (elevator.map { [$0] } ?? []) + self.elevators
        if let bad = named.first(where: { !(1...elevators).contains($0) }) { return "elevator \(bad) is not in the fleet of \(elevators)" }
        switch action {
        case .propertyManager: return self.elevators.isEmpty ? "property_manager needs elevators" : nil
        case .step: return elevator == nil || type == nil || step == nil ? "step needs elevator, type and step" : nil
        case .residentReport: return elevator == nil || category == nil ? "resident_report needs elevator and category" : nil
        case .maintenanceRecord, .maintenanceRequest: return elevator == nil ? "\(action.rawValue) needs elevator" : nil
        case .waitForTicket: return elevator == nil || type == nil ? "wait_for_ticket needs elevator and type" : nil
        }
    }
}
