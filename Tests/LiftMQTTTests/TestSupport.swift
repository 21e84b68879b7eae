import Foundation
import LiftCore
import Testing
@testable import LiftMQTT

typealias SeededGenerator = SplitMix64

func uniqueID(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8))" }

/// Takes `count` messages from the client's stream, failing if they do not arrive within `timeout`.
func receive(_ count: Int, from client: MQTTClient, timeout: Duration = .seconds(10)) async throws -> [MQTTMessage] {
    try await withThrowingTaskGroup(of: [MQTTMessage]?.self) { group in
        group.addTask {
            var received: [MQTTMessage] = []
            for await message in client.messages {
                received.append(message)
                if received.count == count { break }
            }
            return received
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let messages = first else {
            throw TestFailure("timed out waiting for \(count) messages")
        }
        return messages
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Makes a started client and waits for its connection and the broker's answer to its subscriptions.
func connectedClient(_ configuration: MQTTConfiguration) async throws -> MQTTClient {
    let client = try MQTTClient(configuration: configuration)
    client.start()
    try await waitUntilSubscribed(client)
    return client
}

/// Waits until the client is connected and every configured subscription was answered (a loaded machine
/// can take longer than any fixed pause between CONNACK and SUBACK).
func waitUntilSubscribed(_ client: MQTTClient) async throws {
    try await client.waitUntilConnected()
    try await eventually("the broker's SUBACKs") { client.subscriptionsAwaitingGrant == 0 }
}

/// Waits until `condition` holds, polling, or fails after `timeout`.
func eventually(timeout: Duration = .seconds(10), _ what: String, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
