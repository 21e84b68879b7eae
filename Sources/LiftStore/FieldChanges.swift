/// The fields an update changed, with `old → new` for the audit log.
struct FieldChanges {
    private(set) var fields: [String] = []
    private(set) var detail: [String: String?] = [:]

    var isEmpty: Bool { fields.isEmpty }

    /// Records `field` when its value differs.
    mutating func note(_ field: String, _ old: String?, _ new: String?) {
        guard old != new else { return }
        fields.append(field)
        detail[field] = "\(old ?? "null") → \(new ?? "null")"
    }
}
