/// The kinds of step in a unit's elevator project (加装项目), in the order the programme runs them.
public enum ProjectStepKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The owners' vote on adding the elevator (业主表决), with its counts (`OwnersVote`).
    case ownersVote = "owners_vote"
    /// The owners' application (申请).
    case application
    /// The joint approval of the departments (联合审批): `number` is the approval number.
    case jointApproval = "joint_approval"
    /// Construction started (开工).
    case constructionStart = "construction_start"
    /// Completion acceptance (竣工验收): `number` is the acceptance record's number.
    case completionAcceptance = "completion_acceptance"
    /// Special equipment registration (使用登记): `number` is the certificate number.
    case equipmentRegistration = "equipment_registration"
    /// Subsidy applied for: `amount` in fen.
    case subsidyApplied = "subsidy_applied"
    /// Subsidy granted: `amount` in fen.
    case subsidyGranted = "subsidy_granted"
    /// The project's funding by source (`Funding`).
    case funding
    /// A correction (更正): the step `corrects` names was wrong and no longer counts anywhere (figures, gates,
    /// summaries); `note` says why. Record the right step anew.
    case correction

    /// The Chinese name, as the programme's documents use it.
    public var chineseName: String {
        switch self {
        case .ownersVote: "业主表决"
        case .application: "提出申请"
        case .jointApproval: "联合审批"
        case .constructionStart: "开工建设"
        case .completionAcceptance: "竣工验收"
        case .equipmentRegistration: "使用登记"
        case .subsidyApplied: "申请补贴"
        case .subsidyGranted: "补贴发放"
        case .funding: "资金筹措"
        case .correction: "更正"
        }
    }

    /// What `number` is for this kind, and whether it is required.
    var number: (name: String, required: Bool)? {
        switch self {
        case .application: ("application number", false)
        case .jointApproval: ("approval number", true)
        case .constructionStart: ("permit number", false)
        case .completionAcceptance: ("acceptance record number", true)
        case .equipmentRegistration: ("registration certificate number", true)
        case .ownersVote, .subsidyApplied, .subsidyGranted, .funding, .correction: nil
        }
    }

    public static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The owners' vote on rebuilding the building's common parts (Civil Code art. 278): participation of at least
/// two thirds of the owners by number and of the floor area, and consent of at least three quarters of those
/// participating, by number and by area.
///
/// Areas are in hundredths of a square metre, so that the thresholds are compared exactly.
public struct OwnersVote: Sendable, Hashable, Codable {
    public var ownersTotal: Int
    public var ownersParticipating: Int
    public var ownersConsenting: Int
    public var areaTotalCentiM2: Int64
    public var areaParticipatingCentiM2: Int64
    public var areaConsentingCentiM2: Int64

    public init(ownersTotal: Int, ownersParticipating: Int, ownersConsenting: Int, areaTotalCentiM2: Int64, areaParticipatingCentiM2: Int64, areaConsentingCentiM2: Int64) {
        self.ownersTotal = ownersTotal
        self.ownersParticipating = ownersParticipating
        self.ownersConsenting = ownersConsenting
        self.areaTotalCentiM2 = areaTotalCentiM2
        self.areaParticipatingCentiM2 = areaParticipatingCentiM2
        self.areaConsentingCentiM2 = areaConsentingCentiM2
    }

    /// Participation ≥ 2/3 of the owners and ≥ 2/3 of the area.
    public var participationMet: Bool {
        ownersParticipating * 3 >= ownersTotal * 2 && areaParticipatingCentiM2 * 3 >= areaTotalCentiM2 * 2
    }

    /// Consent ≥ 3/4 of the participating owners and ≥ 3/4 of the participating area.
    public var consentMet: Bool {
        ownersConsenting * 4 >= ownersParticipating * 3 && areaConsentingCentiM2 * 4 >= areaParticipatingCentiM2 * 3
    }

    /// Both thresholds met: the owners decided to add the elevator.
    public var passed: Bool { participationMet && consentMet }

    /// Why the counts cannot be right, or nil.
    public var problem: String? {
        if ownersTotal <= 0 { return "owners_total must be at least 1" }
        if areaTotalCentiM2 <= 0 { return "area_total_m2 must be more than 0" }
        if ownersParticipating < 0 || ownersParticipating > ownersTotal { return "owners_participating must be 0…owners_total" }
        if ownersConsenting < 0 || ownersConsenting > ownersParticipating { return "owners_consenting must be 0…owners_participating" }
        if areaParticipatingCentiM2 < 0 || areaParticipatingCentiM2 > areaTotalCentiM2 { return "area_participating_m2 must be 0…area_total_m2" }
        if areaConsentingCentiM2 < 0 || areaConsentingCentiM2 > areaParticipatingCentiM2 {
            return "area_consenting_m2 must be 0…area_participating_m2"
        }
        if ownersTotal > 10_000 { return "owners_total is more than 10000" }
        return nil
    }
}

/// Where a project's money comes from, in fen (0.01 yuan).
public struct Funding: Sendable, Hashable, Codable {
    /// Paid by the owners.
    public var ownersFen: Int64
    /// Withdrawn from the owners' housing provident fund (住房公积金).
    public var providentFundFen: Int64
    /// From the building's maintenance fund (专项维修资金).
    public var maintenanceFundFen: Int64
    /// Government subsidies.
    public var subsidyFen: Int64

    public init(ownersFen: Int64 = 0, providentFundFen: Int64 = 0, maintenanceFundFen: Int64 = 0, subsidyFen: Int64 = 0) {
        self.ownersFen = ownersFen
        self.providentFundFen = providentFundFen
        self.maintenanceFundFen = maintenanceFundFen
        self.subsidyFen = subsidyFen
    }

    public var totalFen: Int64 { ownersFen + providentFundFen + maintenanceFundFen + subsidyFen }
}

/// One dated step of a unit's project, as recorded: who, when, its document numbers, and what its kind carries.
///
/// Encoded with its `date` as `YYYY-MM-DD` and its kind's Chinese name beside the kind.
public struct ProjectStep: Sendable, Hashable, Codable {
    public var id: Int64
    public var unitID: String
    public var kind: ProjectStepKind
    /// The day it happened (Beijing time), which the monthly figures count by.
    public var date: CivilDate
    /// The approval, acceptance, certificate, permit or application number (`ProjectStepKind.number`).
    public var number: String?
    /// For subsidies: the amount in fen.
    public var amountFen: Int64?
    public var vote: OwnersVote?
    public var funding: Funding?
    /// Numbers of the documents it rests on (文号).
    public var documentNumbers: [String]
    public var note: String?
    /// For a correction: the step it voids.
    public var corrects: Int64?
    /// The correction that voided this step, if one did: the step then counts nowhere.
    public var correctedBy: Int64?
    public var recordedAt: Int64
    public var actor: String

    /// Whether the step counts (in figures, gates and summaries): neither a correction nor corrected.
    public var counts: Bool { kind != .correction && correctedBy == nil }

    public init(
        id: Int64 = 0, unitID: String, kind: ProjectStepKind, date: CivilDate, number: String? = nil, amountFen: Int64? = nil,
        vote: OwnersVote? = nil, funding: Funding? = nil, documentNumbers: [String] = [], note: String? = nil, corrects: Int64? = nil,
        correctedBy: Int64? = nil, recordedAt: Int64 = 0, actor: String = ""
    ) {
        self.id = id
        self.unitID = unitID
        self.kind = kind
        self.date = date
        self.number = number
        self.amountFen = amountFen
        self.vote = vote
        self.funding = funding
        self.documentNumbers = documentNumbers
        self.note = note
        self.corrects = corrects
        self.correctedBy = correctedBy
        self.recordedAt = recordedAt
        self.actor = actor
    }

    enum CodingKeys: String, CodingKey {
        case id, unitID = "unit_id", kind, kindName = "kind_name", date, number, amountFen = "amount_fen", vote, funding
        case documentNumbers = "document_numbers", note, corrects, correctedBy = "corrected_by", recordedAt = "recorded_at", actor
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(unitID, forKey: .unitID)
        try c.encode(kind, forKey: .kind)
        try c.encode(kind.chineseName, forKey: .kindName)
        try c.encode(date.description, forKey: .date)
        try c.encode(number, forKey: .number)
        try c.encode(amountFen, forKey: .amountFen)
        try c.encode(vote, forKey: .vote)
        try c.encode(funding, forKey: .funding)
        try c.encode(documentNumbers, forKey: .documentNumbers)
        try c.encode(note, forKey: .note)
        try c.encodeIfPresent(corrects, forKey: .corrects)
        try c.encode(correctedBy, forKey: .correctedBy)
        try c.encode(recordedAt, forKey: .recordedAt)
        try c.encode(actor, forKey: .actor)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let dateText = try c.decode(String.self, forKey: .date)
        guard let date = CivilDate(dateText) else {
            throw DecodingError.dataCorruptedError(forKey: .date, in: c, debugDescription: "\"\(dateText)\" is not YYYY-MM-DD")
        }
        self.init(
            id: try c.decodeIfPresent(Int64.self, forKey: .id) ?? 0, unitID: try c.decode(String.self, forKey: .unitID),
            kind: try c.decode(ProjectStepKind.self, forKey: .kind), date: date, number: try c.decodeIfPresent(String.self, forKey: .number),
            amountFen: try c.decodeIfPresent(Int64.self, forKey: .amountFen), vote: try c.decodeIfPresent(OwnersVote.self, forKey: .vote),
            funding: try c.decodeIfPresent(Funding.self, forKey: .funding),
            documentNumbers: try c.decodeIfPresent([String].self, forKey: .documentNumbers) ?? [], note: try c.decodeIfPresent(String.self, forKey: .note),
            corrects: try c.decodeIfPresent(Int64.self, forKey: .corrects), correctedBy: try c.decodeIfPresent(Int64.self, forKey: .correctedBy),
            recordedAt: try c.decodeIfPresent(Int64.self, forKey: .recordedAt) ?? 0, actor: try c.decodeIfPresent(String.self, forKey: .actor) ?? "")
    }

    /// Whether `text` shows something: a letter or a digit, not only blanks.
    static func visible(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.isAlphabetic || $0.properties.numericType != nil }
    }

    /// Why this step cannot be recorded as it is, or nil: what its kind needs, nothing it does not take, text of
    /// sane length without control characters, and not dated after `today`.
    public func problem(today: CivilDate) -> String? {
        if date > today { return "date \(date) is in the future" }
        if date.year < 2000 { return "date \(date) is before 2000" }
        if let spec = kind.number {
            if spec.required && !Self.visible(number ?? "") { return "a \(kind.rawValue) step needs its \(spec.name) (number)" }
        } else if number != nil {
            return "a \(kind.rawValue) step takes no number"
        }
        let needsAmount = kind == .subsidyApplied || kind == .subsidyGranted
        if needsAmount {
            guard let amountFen else { return "a \(kind.rawValue) step needs amount_yuan" }
            if amountFen <= 0 || amountFen > 100_000_000_000 { return "amount_yuan must be more than 0 and at most 1000000000" }
        } else if amountFen != nil {
            return "a \(kind.rawValue) step takes no amount_yuan"
        }
        if kind == .ownersVote {
            guard let vote else { return "an owners_vote step needs the vote's counts" }
            if let problem = vote.problem { return problem }
        } else if vote != nil {
            return "a \(kind.rawValue) step takes no vote counts"
        }
        if kind == .funding {
            guard let funding else { return "a funding step needs at least one source" }
            let sources = [funding.ownersFen, funding.providentFundFen, funding.maintenanceFundFen, funding.subsidyFen]
            if sources.contains(where: { $0 < 0 || $0 > 100_000_000_000 }) { return "each funding source must be 0…1000000000 yuan" }
            if funding.totalFen == 0 { return "a funding step needs at least one source above 0" }
        } else if funding != nil {
            return "a \(kind.rawValue) step takes no funding"
        }
        if kind == .correction {
            guard let corrects, corrects > 0 else { return "a correction names the step it corrects (corrects: its id)" }
            if (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "a correction needs its reason (note)" }
        } else if corrects != nil {
            return "a \(kind.rawValue) step corrects nothing (only a correction takes corrects)"
        }
        if documentNumbers.count > 20 { return "at most 20 document numbers" }
        // Numbers are one line of visible text; a note may break lines. Neither may reorder what is shown (bidi
        // overrides) or hide characters (format characters in numbers).
        func bidi(_ s: Unicode.Scalar) -> Bool { (0x202A...0x202E).contains(s.value) || (0x2066...0x2069).contains(s.value) }
        for text in documentNumbers + [number].compactMap({ $0 }) {
            if text.unicodeScalars.contains(where: { [.control, .format, .lineSeparator, .paragraphSeparator].contains($0.properties.generalCategory) }) {
                return "numbers may not contain control, format or line-break characters"
            }
        }
        if let note, note.unicodeScalars.contains(where: { ($0.properties.generalCategory == .control && $0 != "\n" && $0 != "\r") || bidi($0) }) {
            return "the note may not contain control characters other than line breaks, or bidirectional overrides"
        }
        if documentNumbers.contains(where: { !Self.visible($0) || $0.count > 100 }) || (number.map { !Self.visible($0) } ?? false) || (number?.count ?? 0) > 100 {
            return "numbers are 1…100 characters with at least one letter or digit"
        }
        if (note?.count ?? 0) > 2_000 { return "note is longer than 2000 characters" }
        return nil
    }
}
