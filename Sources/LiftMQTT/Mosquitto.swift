import CMosquitto

/// Small helpers around libmosquitto's C API. Only this module imports `CMosquitto`.
enum Mosquitto {
    /// `mosquitto_lib_init()` runs once per process, before the first client is made.
    static let libraryInitialised: Int32 = mosquitto_lib_init()

    static let success = Int32(MOSQ_ERR_SUCCESS.rawValue)

    /// libmosquitto's own text for a `MOSQ_ERR_*` code.
    static func message(for code: Int32) -> String {
        String(cString: mosquitto_strerror(code))
    }

    /// libmosquitto's text for a CONNACK reason code (MQTT 3.1.1 or 5).
    static func connackMessage(for code: Int32) -> String {
        if code > 5 {
            return String(cString: mosquitto_reason_string(code))
        }
        return String(cString: mosquitto_connack_string(code))
    }

    /// Throws an `MQTTError` carrying libmosquitto's message when `code` is not `MOSQ_ERR_SUCCESS`.
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(MQTTError) {
        guard code != success else { return }
        throw MQTTError(kind: .library, code: code, operation: operation(), message: message(for: code))
    }
}

/// libmosquitto's client handle. `@unchecked Sendable`: libmosquitto guards its own state with mutexes
/// (it is built with threading), and `MQTTClient` calls `loop`/`connect` from one thread only.
struct MosquittoHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
