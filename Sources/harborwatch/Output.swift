#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarborWatch

/// Writes bytes to a file descriptor, whole, retrying short writes.
final class OutputBuffer {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }

    func write(_ bytes: [UInt8]) {
        // A closed pipe: stop writing quietly.
        _ = bytes.withUnsafeBytes { WriteAll.write(fd, $0) }
    }

    func flush() {}
}

/// stderr text.
enum StandardError {
    static func write(_ s: String) {
        OutputBuffer(fd: 2).write(Array(s.utf8))
    }
}

/// Writes a whole file.
enum FileOutput {
    static func write(_ bytes: [UInt8], to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        OutputBuffer(fd: fd).write(bytes)
        return true
    }
}
