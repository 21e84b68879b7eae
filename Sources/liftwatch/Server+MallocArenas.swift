import Foundation
import Logging

#if canImport(Glibc)
import CMalloc
#endif

extension Server {
    /// Caps glibc's malloc arenas for this process, unless `MALLOC_ARENA_MAX` is set in the environment.
    ///
    /// glibc gives each thread that meets contention in malloc an arena of its own (up to 8 per core), and memory
    /// freed into one arena is not reused by another: under load, resident memory climbs for minutes as the
    /// ingest, writer, checkpoint and HTTP threads fill arenas of their own. A cap of 2 keeps it flat about
    /// 25 MiB lower (docs/benchmarks.md, "Memory"). Call it before the services start their threads; arenas
    /// that already exist stay. `maximum` 0 leaves glibc's own limit. Does nothing on other C libraries.
    static func capMallocArenas(at maximum: Int, environment: [String: String], logger: Logger) {
        #if canImport(Glibc)
        guard maximum > 0 else { return }
        if let set = environment["MALLOC_ARENA_MAX"] {
            logger.info("malloc arenas left to the environment", metadata: ["MALLOC_ARENA_MAX": "\(set)"])
            return
        }
        // mallopt returns 1 on success, 0 on error.
        if mallopt(M_ARENA_MAX, Int32(maximum)) != 1 {
            logger.warning("mallopt(M_ARENA_MAX) failed; glibc's own arena limit applies", metadata: ["maximum": "\(maximum)"])
        }
        #endif
    }
}
