#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open file descriptor read with `read(2)`; closed when released (stdin excepted).
final class RawFile {
    /// The name used in warnings (`samples/hub-1/proxy.log.1.gz`, `-` for stdin).
    let name: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    /// The `errno` of the last failed read, if any.
    private(set) var lastError: Int32?

    /// Opens `path` for reading; `-` means standard input.
    init(path: String) throws(InputError) {
        name = path
        if path == "-" {
            fd = STDIN_FILENO
            ownsDescriptor = false
            return
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { throw InputError(.cannotOpen, path: path, errno: errno) }
        var info = stat()
        if fstat(opened, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(opened)
            throw InputError(.cannotOpen, path: path, errno: EISDIR)
        }
        fd = opened
        ownsDescriptor = true
        #if os(Linux)
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
    }

    /// Reads `descriptor`, an open file it takes over (and closes), as `name`.
    init(descriptor: Int32, name: String) {
        self.name = name
        fd = descriptor
        ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// The size of a regular file, nil for anything else (a pipe, a terminal, stdin).
    func regularFileSize() -> Int? {
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Maps `length` bytes from `offset` (a multiple of the page size) read-only; nil when it cannot.
    func map(offset: Int, length: Int) -> UnsafeRawPointer? {
        #if os(Linux)
            let flags = MAP_PRIVATE | MAP_POPULATE
        #else
            let flags = MAP_PRIVATE
        #endif
        guard let m = mmap(nil, length, PROT_READ, flags, fd, off_t(offset)), m != MAP_FAILED else { return nil }
        return UnsafeRawPointer(m)
    }

    /// Moves the read position to `offset`; false when it cannot.
    func seek(to offset: Int) -> Bool { lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) }

    /// Reads up to `count` bytes into `buffer`: the number read, 0 at the end, -1 on error (see `lastError`).
    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        while true {
            let n = systemRead(fd, buffer, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            lastError = errno
            return -1
        }
    }

    /// Reads until `buffer` holds at least `minimum` bytes, the input ends, or an error occurs; the number read, -1 on an error before any byte.
    func read(into buffer: UnsafeMutableBufferPointer<UInt8>, atLeast minimum: Int) -> Int {
        var filled = 0
        while filled < minimum {
            let n = read(into: buffer.baseAddress! + filled, count: buffer.count - filled)
            if n < 0 { return filled > 0 ? filled : -1 }
            if n == 0 { break }
            filled += n
        }
        return filled
    }
}

/// `read(2)`, reachable from inside `RawFile` whose own `read` hides the C function.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}
