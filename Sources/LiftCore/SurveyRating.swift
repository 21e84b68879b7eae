/// The survey's rating of a building unit for an added elevator (spec section 8).
public enum SurveyRating: String, Sendable, Hashable, Codable, CaseIterable {
    case suitable
    case difficult
    case unsuitable
}
