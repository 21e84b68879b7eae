extension IngestBatch {
    /// The batch cut into parts of at most `maximumElevators` elevators each (by ranges of elevator keys), every
    /// elevator's samples, events, counters, seq state and `last_seen` in one part; what belongs to no elevator
    /// (dead letters of unknown elevators, replayed dead letters) goes with the last part.
    ///
    /// Committed one transaction per part, the batch writes the same B-tree pages (each elevator's samples sit in
    /// pages of their own) but in several shorter commits, so a fault event waiting for the writer waits for
    /// one part's COMMIT (which cannot give way) instead of the whole batch's. Each part is consistent on its own:
    /// an elevator's bookkeeping never runs ahead of its samples.
    public func partitioned(maximumElevators: Int) -> [IngestBatch] {
        precondition(maximumElevators > 0, "a part needs room for one elevator")
        var keys = Set(telemetry.map(\.elevator))
        keys.formUnion(events.map(\.elevator))
        keys.formUnion(stats.map(\.elevator))
        keys.formUnion(statuses.map(\.elevator))
        keys.formUnion(deadLetters.compactMap(\.elevator))
        keys.formUnion(counters.keys)
        keys.formUnion(sequenceStates.keys)
        keys.formUnion(lostRanges.map(\.elevator))
        keys.formUnion(lastSeen.keys)
        guard keys.count > maximumElevators else { return [self] }
        let sorted = keys.sorted()
        let partCount = (sorted.count + maximumElevators - 1) / maximumElevators
        // Even parts: 1,001 elevators in 256s would leave a part of one.
        let perPart = (sorted.count + partCount - 1) / partCount
        var partOf: [Int64: Int] = [:]
        partOf.reserveCapacity(sorted.count)
        for (index, key) in sorted.enumerated() { partOf[key] = index / perPart }
        var parts = Array(repeating: IngestBatch(), count: partCount)
        for item in telemetry { parts[partOf[item.elevator]!].telemetry.append(item) }
        for item in events { parts[partOf[item.elevator]!].events.append(item) }
        for item in stats { parts[partOf[item.elevator]!].stats.append(item) }
        for item in statuses { parts[partOf[item.elevator]!].statuses.append(item) }
        for letter in deadLetters { parts[letter.elevator.map { partOf[$0]! } ?? partCount - 1].deadLetters.append(letter) }
        for (key, delta) in counters { parts[partOf[key]!].counters[key] = delta }
        for (key, state) in sequenceStates { parts[partOf[key]!].sequenceStates[key] = state }
        for range in lostRanges { parts[partOf[range.elevator]!].lostRanges.append(range) }
        for (key, seen) in lastSeen { parts[partOf[key]!].lastSeen[key] = seen }
        parts[partCount - 1].replayedDeadLetters = replayedDeadLetters
        parts[partCount - 1].reassessed = reassessed
        return parts
    }
}
