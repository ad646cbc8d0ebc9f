import Foundation

/// Runs a `Deliverer` on a background thread so that a slow or down receiver never blocks reading:
/// notifications are enqueued durably at once and delivered as the receivers allow.
public final class DeliveryWorker: @unchecked Sendable {
    private let lock = NSLock()
    private let deliverer: Deliverer
    private var thread: Thread?
    private var stopping = false
    private var printed = 0
    private let log: (String) -> Void

    /// A worker for `deliverer`; `log` receives one line per attempt.
    public init(deliverer: Deliverer, log: @escaping (String) -> Void) {
        self.deliverer = deliverer
        self.log = log
    }

    /// Enqueues `n` (durably, before returning).
    public func enqueue(_ n: Notification) {
        lock.lock()
        defer { lock.unlock() }
        do { try deliverer.enqueue(n) } catch { log("cannot write the outbox: \(error)") }
    }

    /// Deliveries waiting.
    public var depth: Int {
        lock.lock()
        defer { lock.unlock() }
        return deliverer.outbox.pending.count
    }

    /// Starts delivering in the background.
    public func start() {
        let t = Thread { [weak self] in
            while let self, !self.isStopping {
                self.step()
                usleep(250_000)
            }
        }
        thread = t
        t.start()
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func step() {
        lock.lock()
        do { try deliverer.runDue() } catch { log("delivery: \(error)") }
        let lines = deliverer.log.dropFirst(printed)
        printed = deliverer.log.count
        lock.unlock()
        for l in lines { log(l) }
    }

    /// Stops after one last round (what is still pending stays in the outbox for the next start).
    public func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
        step()
    }
}
