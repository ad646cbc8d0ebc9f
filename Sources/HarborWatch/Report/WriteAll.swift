#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes every byte to a file descriptor, retrying short writes and `EINTR`.
public enum WriteAll {
    /// False when the descriptor refused (a closed pipe, a full disk): what was written stays written.
    @discardableResult
    public static func write(_ fd: Int32, _ raw: UnsafeRawBufferPointer) -> Bool {
        var off = 0
        while off < raw.count {
            #if canImport(Glibc)
            let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
            #else
            let n = Darwin.write(fd, raw.baseAddress! + off, raw.count - off)
            #endif
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            off += n
        }
        return true
    }
}
