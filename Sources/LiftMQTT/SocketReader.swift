import CMosquitto

/// A read buffer under one client's libmosquitto socket (`CMosquitto/SocketReader.c`).
///
/// libmosquitto reads every packet in three or four `read(2)` calls; through a reader, the network thread
/// that entered it gets them from a 64 KiB buffer filled by one `read(2)` at a time. Only the entering thread
/// and the attached socket are affected. `@unchecked Sendable`: the buffer itself is touched by the network
/// thread alone; the counters are atomics.
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
