import Foundation
import Synchronization

/// A task executor with one thread of its own, for work that must not queue behind the shared pool's.
///
/// Swift's global executor has as many threads as cores (two here), kept busy by telemetry decoding (slices of
/// hundreds of messages), HTTP, the scheduler and the ticket engine's synchronous database calls.
/// A fault event's loop, its commit's continuation and its ticket run on this thread instead (as the tasks'
/// executor preference; a default actor called from them runs here too), so they never wait for a pool thread.
/// The thread ends with `shutdown()`, after the tasks that prefer it have finished.
final class DedicatedExecutor: TaskExecutor, Sendable {
    private struct Queue {
        var jobs: [UnownedJob] = []
        var head = 0
        var stopped = false
    }

    private let queue = Mutex(Queue())
    private let wakeUp = DispatchSemaphore(value: 0)

    /// Starts the thread, named `name` (its first 15 bytes, Linux's limit) for `top -H`, `perf` and debuggers.
    init(name: String) {
        let name = String(name.utf8.prefix(15))!
        // The thread names itself, once `start()` has returned, before it runs any job. Foundation's `Thread.name`
        // setter does nothing until `start()` has stored the new thread's handle, and the new thread's start-up
        // sets its name again to the one it inherited ("oot.default-qos"): named from outside, the name was lost
        // whenever the start-up came second (a CI run under load), and named inside before `start()` returns,
        // whenever the thread ran first.
        let started = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            started.wait()
            Thread.current.name = name
            runJobs()
        }
        thread.start()
        started.signal()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.withLock { $0.jobs.append(job) }
        wakeUp.signal()
    }

    /// Lets the thread end once the jobs queued so far have run.
    func shutdown() {
        queue.withLock { $0.stopped = true }
        wakeUp.signal()
    }

    private func runJobs() {
        while true {
            wakeUp.wait()
            let next = queue.withLock { queue -> (job: UnownedJob?, stop: Bool) in
                guard queue.head < queue.jobs.count else { return (nil, queue.stopped) }
                let job = queue.jobs[queue.head]
                queue.head += 1
                // Drop the run jobs now and then rather than shifting the array at every job.
                if queue.head == queue.jobs.count || queue.head >= 1_024 {
                    queue.jobs.removeFirst(queue.head)
                    queue.head = 0
                }
                return (job, false)
            }
            if let job = next.job {
                job.runSynchronously(on: asUnownedTaskExecutor())
            } else if next.stop {
                return
            }
        }
    }
}
