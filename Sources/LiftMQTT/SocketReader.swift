import CMosquitto

/// A read buffer under one client's libmosquitto socket (`CMosquitto/SocketReader.c`).
///
/// libmosquitto reads every packet in three or four `read(2)` calls; through a reader, the network thread
/// that entered it gets them from a 64 KiB buffer filled by one `read(2)` at a time. Only the entering
/// thread and the attached socket are affected. That thread also takes libmosquitto's wake-up bytes all at
/// once and writes none to itself (`capturingWakeup`). `@unchecked Sendable`: the buffer is touched by the
/// network thread alone; the counters are atomics.
final class SocketReader: @unchecked Sendable {
    private let pointer: OpaquePointer

    /// Returns nil when the buffer cannot be allocated.
    init?() {
        guard let pointer = lw_socket_reader_create() else { return nil }
        self.pointer = pointer
    }

    deinit {
        lw_socket_reader_destroy(pointer)
    }

    /// Runs `body` (which makes the libmosquitto client, `mosquitto_new`) with the socket pairs it makes
    /// recorded in `reader`: libmosquitto's wake-up pair, whose bytes the reader's thread need not send itself.
    static func capturingWakeup<Result>(into reader: SocketReader?, _ body: () -> Result) -> Result {
        guard let reader else { return body() }
        lw_socket_reader_capture_wakeup(reader.pointer)
        defer { lw_socket_reader_capture_wakeup(nil) }
        return body()
    }

    /// Makes this the calling thread's reader until `leave()`. Call from the network thread.
    func enter() { lw_socket_reader_enter(pointer) }

    /// The calling thread reads without a buffer again.
    func leave() { lw_socket_reader_enter(nil) }

    /// Reads `socket` through the buffer from now on (after each connect), dropping bytes of an earlier one.
    func attach(socket: Int32) { lw_socket_reader_attach(pointer, socket) }

    /// Stops buffering when the connection ends: what it still held belonged to the closed socket.
    func detach() { lw_socket_reader_detach(pointer) }

    /// `read(2)` calls made on the socket since creation.
    var socketReads: Int { Int(lw_socket_reader_socket_reads(pointer)) }

    /// Reads answered from the buffer without a system call since creation.
    var bufferedReads: Int { Int(lw_socket_reader_buffered_reads(pointer)) }
}
