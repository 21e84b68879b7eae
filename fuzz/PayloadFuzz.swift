// libFuzzer target for the payload and topic parsers of LiftCore (issue 8). Built by scripts/fuzz.sh with
// `swiftc -sanitize=fuzzer,address` together with LiftCore's sources; the corpus is kept in fuzz/corpus/.
//
// Input layout: the first byte picks the topic kind; bytes up to the first newline (at most 200) are a topic
// for LiftTopic; the rest is the payload. Besides "no crash, no memory error", these properties are checked:
// - a payload the decoder accepts encodes back (PayloadEncoder) to one that decodes to the same value;
// - a topic LiftTopic accepts prints back to the same string, and the byte-level path takes exactly those;
// - a payload the plain telemetry path takes decodes to the same sample on the general path.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let kinds = LiftTopic.Kind.allCases
    let kind = kinds[Int(bytes[0]) % kinds.count]
    let body = bytes.dropFirst()
    let newline = body.prefix(200).firstIndex(of: 10)
    let topicBytes = newline.map { body[body.startIndex..<$0] } ?? body.prefix(0)
    let payload = Array(newline.map { body[($0 + 1)...] } ?? body)

    if let topicText = String(validating: topicBytes, as: UTF8.self) {
        if let topic = LiftTopic(topicText) {
            precondition(topic.description == topicText, "topic does not print back: \(topicText) → \(topic)")
        }
        let plain = Array(topicText.utf8).withUnsafeBufferPointer(LiftTopic.plain)
        precondition(plain == (try? LiftTopic.parseInGeneral(topicText).get()), "the byte-level topic path disagrees: \(topicText)")
    }
    _ = try? FlatJSON.parse(payload)

    let decoder = PayloadDecoder()
    let now: Int64 = 1_764_000_000_000
    if payload.count <= PayloadDecoder.maximumPayloadSize, let plain = decoder.plainTelemetry(payload, now: now) {
        let general = try? decoder.decodeInGeneral(kind: .telemetry, payload: payload, now: now)
        precondition(general == .telemetry([plain], rejected: []), "the plain telemetry path disagrees: \(String(decoding: payload, as: UTF8.self))")
    }
    guard let decoded = try? decoder.decode(kind: kind, payload: payload, now: now) else { return 0 }
    let encoded: [UInt8]
    switch decoded {
    case .telemetry(let samples, rejected: _):
        guard !samples.isEmpty else { return 0 }
        encoded = samples.count == 1 ? PayloadEncoder.encode(samples[0]) : PayloadEncoder.encode(samples)
        guard case .telemetry(let again, let rejected)? = try? decoder.decode(kind: kind, payload: encoded, now: now) else {
            preconditionFailure("accepted telemetry does not decode after encoding: \(String(decoding: encoded, as: UTF8.self))")
        }
        precondition(again == samples && rejected.isEmpty, "telemetry changed in a round trip: \(String(decoding: encoded, as: UTF8.self))")
    case .event(let event):
        encoded = PayloadEncoder.encode(event)
        guard case .event(let again)? = try? decoder.decode(kind: kind, payload: encoded, now: now) else {
            preconditionFailure("accepted event does not decode after encoding: \(String(decoding: encoded, as: UTF8.self))")
        }
        precondition(again == event, "event changed in a round trip: \(String(decoding: encoded, as: UTF8.self))")
    case .stats(let stats):
        encoded = PayloadEncoder.encode(stats)
        guard case .stats(let again)? = try? decoder.decode(kind: kind, payload: encoded, now: now) else {
            preconditionFailure("accepted stats do not decode after encoding")
        }
        precondition(again == stats, "stats changed in a round trip: \(String(decoding: encoded, as: UTF8.self))")
    case .status(let status):
        encoded = PayloadEncoder.encode(status)
        guard case .status(let again)? = try? decoder.decode(kind: kind, payload: encoded, now: now) else {
            preconditionFailure("accepted status does not decode after encoding")
        }
        precondition(again == status, "status changed in a round trip: \(String(decoding: encoded, as: UTF8.self))")
    }
    return 0
}
