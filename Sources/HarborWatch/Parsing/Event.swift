/// One normalised log record: an HTTP request, an application message or a jobservice step.
///
/// Every parser fills the fields its format carries and leaves the others `nil` (or 0 / `.none`).
/// The value is cheap to copy around: its fields live in one copy-on-write box (`EventStorage`),
/// so a copy is one retain, whatever the event holds; the box is copied only when a shared event
/// is changed. Strings that repeat (clients, user agents, repositories) come from a per-source
/// interner, so most events share their text as well.
public struct Event: Sendable, Equatable {
    @usableFromInline var s: EventStorage

    /// Event time, nanoseconds since 1970-01-01 UTC (0 when the line carried none).
    public var time: Int64 {
        @inline(__always) get { s.time }
        @inline(__always) set { writable().time = newValue }
    }
    /// True when `time` marks the start of the request (registry access lines), not its end.
    public var timeIsStart: Bool {
        @inline(__always) get { s.timeIsStart }
        @inline(__always) set { writable().timeIsStart = newValue }
    }
    /// The data center / Harbor instance that wrote the line (`hub-1`).
    public var site: String {
        @inline(__always) get { s.site }
        @inline(__always) set { writable().site = newValue }
    }
    /// The component that wrote the line.
    public var component: Component {
        @inline(__always) get { s.component }
        @inline(__always) set { writable().component = newValue }
    }
    /// The format the line was read with.
    public var format: LogFormat {
        @inline(__always) get { s.format }
        @inline(__always) set { writable().format = newValue }
    }
    /// File (the rotated set's member, or `-`) and 1-based line number inside it.
    public var file: String {
        @inline(__always) get { s.file }
        @inline(__always) set { writable().file = newValue }
    }
    /// 1-based line number inside `file`.
    public var line: Int {
        @inline(__always) get { s.line }
        @inline(__always) set { writable().line = newValue }
    }

    // MARK: HTTP
    /// Client address as the component saw it (nginx `$remote_addr`, registry `http.request.remoteaddr`).
    public var client: String? {
        @inline(__always) get { s.client }
        @inline(__always) set { writable().client = newValue }
    }
    /// User name when the line names one (nginx `$remote_user`, the token request's `account`, core's `user:`).
    public var user: String? {
        @inline(__always) get { s.user }
        @inline(__always) set { writable().user = newValue }
    }
    /// HTTP method.
    public var method: String? {
        @inline(__always) get { s.method }
        @inline(__always) set { writable().setMethod(newValue) }
    }
    /// The HTTP method as a code (`.other` for a method it has none for; `.none` without one).
    public var methodCode: HTTPMethod {
        @inline(__always) get { s.methodCode }
    }
    /// URI path as logged (percent-encoding kept).
    public var path: String? {
        @inline(__always) get { s.pathText }
        @inline(__always) set {
            let w = writable()
            w.path = newValue
            w.pathSlot = TextSlot()
        }
    }
    /// Query string without `?`.
    public var query: String? {
        @inline(__always) get { s.queryText }
        @inline(__always) set {
            let w = writable()
            w.query = newValue
            w.querySlot = TextSlot()
        }
    }
    /// HTTP protocol (`HTTP/1.1`).
    public var proto: String? {
        @inline(__always) get { s.proto }
        @inline(__always) set { writable().proto = newValue }
    }
    /// HTTP status (0 when none).
    public var status: Int {
        @inline(__always) get { s.status }
        @inline(__always) set { writable().status = newValue }
    }
    /// Body bytes sent (-1 when none).
    public var bytes: Int64 {
        @inline(__always) get { s.bytes }
        @inline(__always) set { writable().bytes = newValue }
    }
    /// Request duration in seconds (nginx `$request_time`, registry `http.response.duration`).
    public var requestTime: Double? {
        @inline(__always) get { s.requestTime }
        @inline(__always) set { writable().requestTime = newValue }
    }
    /// Upstream duration in seconds (the sum when nginx tried several upstreams).
    public var upstreamTime: Double? {
        @inline(__always) get { s.upstreamTime }
        @inline(__always) set { writable().upstreamTime = newValue }
    }
    /// Upstream address (nginx `$upstream_addr`).
    public var upstreamAddr: String? {
        @inline(__always) get { s.extra?.upstreamAddr }
        @inline(__always) set {
            if newValue == nil, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().upstreamAddr = newValue
        }
    }
    /// User agent, with nginx and logfmt escapes decoded.
    public var userAgent: String? {
        @inline(__always) get { s.userAgent }
        @inline(__always) set { writable().setUserAgent(newValue) }
    }
    /// Referer, when not empty or `-`.
    public var referer: String? {
        @inline(__always) get { s.extra?.referer }
        @inline(__always) set {
            if newValue == nil, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().referer = newValue
        }
    }
    /// Host header (nginx `$host`, registry `http.request.host`).
    public var host: String? {
        @inline(__always) get { s.host }
        @inline(__always) set { writable().host = newValue }
    }
    /// Request id: nginx `$request_id` / `X-Request-ID`, core `requestID`, registry `http.request.id`.
    public var requestId: String? {
        @inline(__always) get { s.requestIdText }
        @inline(__always) set {
            let w = writable()
            w.requestId = newValue
            w.requestIdSlot = TextSlot()
        }
    }

    // MARK: Registry view of the URI
    /// What the request is about, from its path.
    public var kind: RequestKind {
        @inline(__always) get { s.kind }
        @inline(__always) set { writable().kind = newValue }
    }
    /// Repository name (`library/nginx`).
    public var repository: String? {
        @inline(__always) get { s.repository }
        @inline(__always) set { writable().repository = newValue }
    }
    /// Tag or digest of a manifest, or the digest of a blob.
    public var reference: String? {
        @inline(__always) get { s.reference }
        @inline(__always) set { writable().reference = newValue }
    }
    /// Upload session id of `…/blobs/uploads/<id>`.
    public var uploadId: String? {
        @inline(__always) get { s.uploadId }
        @inline(__always) set { writable().uploadId = newValue }
    }
    /// `digest=` of an upload's final PUT, decoded (`sha256:…`).
    public var uploadDigest: String? {
        @inline(__always) get { s.extra?.uploadDigest }
        @inline(__always) set {
            if newValue == nil, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().uploadDigest = newValue
        }
    }
    /// `mount=` digest of a cross-repository mount.
    public var mountDigest: String? {
        @inline(__always) get { s.extra?.mountDigest }
        @inline(__always) set {
            if newValue == nil, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().mountDigest = newValue
        }
    }
    /// `from=` repository of a cross-repository mount.
    public var mountFrom: String? {
        @inline(__always) get { s.extra?.mountFrom }
        @inline(__always) set {
            if newValue == nil, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().mountFrom = newValue
        }
    }
    /// Path prefix before `/v2/` (`/registry` when a proxy adds one), else nil.
    public var pathPrefix: String? {
        @inline(__always) get { s.extra?.pathPrefix }
        @inline(__always) set {
            if newValue == nil, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().pathPrefix = newValue
        }
    }

    // MARK: Application lines
    /// Log level.
    public var level: LogLevel {
        @inline(__always) get { s.level }
        @inline(__always) set { writable().level = newValue }
    }
    /// Message text (escapes decoded; continuation lines appended after `\n`).
    public var message: String? {
        @inline(__always) get { s.message }
        @inline(__always) set { writable().message = newValue }
    }
    /// Source file:line of the Harbor text format (`/core/main.go:154`).
    public var caller: String? {
        @inline(__always) get { s.extra?.caller }
        @inline(__always) set {
            if newValue == nil, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().caller = newValue
        }
    }
    /// Registry error code (`manifest unknown`, `blob unknown`, `UNAUTHORIZED` …).
    public var errorCode: String? {
        @inline(__always) get { s.errorCode }
        @inline(__always) set { writable().errorCode = newValue }
    }
    /// Registry error detail.
    public var errorDetail: String? {
        @inline(__always) get { s.extra?.errorDetail }
        @inline(__always) set {
            if newValue == nil, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().errorDetail = newValue
        }
    }
    /// Other fields: unknown nginx variables, Harbor text `[k="v"]` fields, `auth.user.name` ….
    public var fields: EventFields {
        @inline(__always) get { s.fields }
        @inline(__always) set { writable().fields = newValue }
        @inline(__always) _modify { let w = writable(); yield &w.fields }
    }

    // MARK: jobservice
    /// jobservice job id (24 hex).
    public var jobId: String? {
        @inline(__always) get { s.extra?.jobId }
        @inline(__always) set {
            if newValue == nil, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().jobId = newValue
        }
    }
    /// Job name (`REPLICATION`).
    public var jobName: String? {
        @inline(__always) get { s.extra?.jobName }
        @inline(__always) set {
            if newValue == nil, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().jobName = newValue
        }
    }
    /// What a jobservice line says happened.
    public var jobAction: JobAction {
        @inline(__always) get { s.extra?.jobAction ?? JobAction.none }
        @inline(__always) set {
            if newValue == JobAction.none, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().jobAction = newValue
        }
    }
    /// Source artifact of a replication step (`library/nginx:1.25`).
    public var sourceArtifact: String? {
        @inline(__always) get { s.extra?.sourceArtifact }
        @inline(__always) set {
            if newValue == nil, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().sourceArtifact = newValue
        }
    }
    /// Destination artifact of a replication step.
    public var destinationArtifact: String? {
        @inline(__always) get { s.extra?.destinationArtifact }
        @inline(__always) set {
            if newValue == nil, !s.extraTouched { return }  // nothing to clear
            writable().extraBox().destinationArtifact = newValue
        }
    }

    // MARK: Set by the analysis engine
    /// True when the line is a client request as the site's front door logged it.
    public var isFrontLine: Bool {
        @inline(__always) get { s.isFrontLine }
        @inline(__always) set { writable().isFrontLine = newValue }
    }
    /// Hash of (site, client, user agent): the session a request belongs to.
    public var clientKey: UInt64 {
        @inline(__always) get { s.clientKey }
        @inline(__always) set { writable().clientKey = newValue }
    }

    /// An empty event (it shares one empty box until it is first changed).
    @inline(__always)
    public init() { s = EventStorage.empty }

    /// An event of `site` read from `file` at `line`, with a box of its own.
    @inline(__always)
    public init(site: String, file: String, line: Int) {
        s = EventStorage()
        s.site = site
        s.file = file
        s.line = line
    }

    /// An event in `box` (new, or from an `EventPool`), which `EventStorage.place` set.
    @inline(__always)
    init(box: EventStorage) { s = box }

    /// Hands the box to `pool` for a later event, when no other event shares it (an event kept
    /// by a detector is not recycled). The event must not be used afterwards: its box is reset
    /// and will be another event's.
    @inline(__always)
    mutating func recycle(into pool: EventPool) {
        if isKnownUniquelyReferenced(&s) { pool.put(s) }
    }

    /// Hands the box back to the parse threads (`returns`), when no other event shares it. As
    /// `recycle(into:)`, the event must not be used afterwards.
    @inline(__always)
    mutating func recycle(into returns: BoxReturns) {
        if isKnownUniquelyReferenced(&s) { returns.give(s) }
    }

    /// The box, copied first when another event shares it.
    @inline(__always)
    mutating func writable() -> EventStorage {
        if !isKnownUniquelyReferenced(&s) { s = s.copy() }
        return s
    }

    public static func == (a: Event, b: Event) -> Bool { a.s === b.s || a.s.equals(b.s) }
}

/// The fields of an `Event`, in one heap box shared by its copies.
@usableFromInline
final class EventStorage: @unchecked Sendable {
    // Safe to share between threads: a box is changed only through `Event.writable()`, which
    // copies it first unless this event holds the only reference.
    static let empty = EventStorage()

    // Laid out so that no property leaves padding before the next: the 8-byte ones first, the
    // Strings, then the two `Double?` (9 bytes) with the one-byte ones in what follows the first
    // (a `TextSlot` is 4 bytes: three fit where two of 8 did). 384 bytes with the object header
    // when this was written, one allocation size class below 448; fields added since made it
    // 394 (measured 2026-12-08: the class metadata's instance size), in the 448 class.
    @usableFromInline var time: Int64 = 0
    @usableFromInline var line: Int = 0
    @usableFromInline var status: Int = 0
    @usableFromInline var bytes: Int64 = -1
    @usableFromInline var clientKey: UInt64 = 0
    /// `fields`, and whether it was written since the box was new or `reset`: `reset` then
    /// leaves it be without reading its array, whose header is on a line the event never
    /// otherwise touches (a cache miss per recycled box).
    @usableFromInline var storedFields: EventFields = EventFields()
    @usableFromInline var fields: EventFields {
        @inline(__always) get { storedFields }
        @inline(__always) set { fieldsTouched = true; storedFields = newValue }
        @inline(__always) _modify { fieldsTouched = true; yield &storedFields }
    }

    /// The bytes of the fields a parser keeps as bytes until they are read (`pathSlot`,
    /// `querySlot`, `requestIdSlot`): most lines' path, query and request id are never read by
    /// `analyze`, and never by `parse --count`, so no String is made for them. A recycled box
    /// keeps this room. Its own allocation, not an `[UInt8]`: appending to an Array went through
    /// its generic copy (about 170 instructions a line for 100 bytes), emptying it through
    /// `replaceSubrange`.
    @usableFromInline var lazyBytes: UnsafeMutablePointer<UInt8>?
    /// Bytes used in `lazyBytes`, and its room (both under 64 KiB, as the slots).
    @usableFromInline var lazyCount: UInt16 = 0
    @usableFromInline var lazyCapacity: UInt16 = 0
    /// `path` as bytes in `lazyBytes` (when `path` is nil).
    @usableFromInline var pathSlot = TextSlot()
    /// `query` as bytes in `lazyBytes` (when `query` is nil).
    @usableFromInline var querySlot = TextSlot()
    /// `requestId` as bytes in `lazyBytes` (when `requestId` is nil).
    @usableFromInline var requestIdSlot = TextSlot()

    /// The fields few lines set (jobservice steps, mounts, upstreams, …): a box of their own, so
    /// that an event without them is smaller to make, copy and free. Made when one of them is
    /// first set (`extraBox`), then kept by `reset`, emptied, for the box's next events.
    @usableFromInline var extra: EventExtra?

    @usableFromInline var site: String = ""
    @usableFromInline var file: String = ""
    @usableFromInline var client: String? = nil
    @usableFromInline var user: String? = nil
    /// The method: the text of its code, or `otherMethod` for a method without one. Set with
    /// `setMethod`. Kept as the code alone for the six the detectors know: a String per event
    /// was retained when set and released by `reset`, two runtime calls a line.
    @usableFromInline var method: String? {
        @inline(__always) get { methodCode == .other ? otherMethod : methodCode.text }
    }
    /// The text of a method whose code is `.other` (else nil).
    @usableFromInline private(set) var otherMethod: String? = nil
    /// `method` as a code: the detectors' tests of the method read a byte, not the String
    /// (retained, compared and released, several times an event).
    @usableFromInline private(set) var methodCode: HTTPMethod = .none

    /// Sets `method` and its code.
    @inline(__always) func setMethod(_ m: String?) {
        setMethod(code: HTTPMethod(m), other: m)
    }

    /// Sets the method to `code`, and to `other` when the code is `.other` (a method without
    /// one of its own).
    @inline(__always) func setMethod(code: HTTPMethod, other: @autoclosure () -> String?) {
        methodCode = code
        if code == .other {
            otherMethod = other()
        } else if otherMethod != nil {
            otherMethod = nil
        }
    }
    @usableFromInline var path: String? = nil
    @usableFromInline var query: String? = nil
    /// The protocol: `HTTP/1.1` as a flag (`isHTTP11`), another as text (`otherProto`). A String
    /// per event was retained when set and released by `reset`, as the method's.
    @usableFromInline var proto: String? {
        @inline(__always) get { isHTTP11 ? "HTTP/1.1" : otherProto }
        set {
            if newValue == "HTTP/1.1" {
                setHTTP11()
            } else {
                isHTTP11 = false
                otherProto = newValue
            }
        }
    }
    /// The protocol when it is not `HTTP/1.1`.
    @usableFromInline private(set) var otherProto: String? = nil
    /// Sets the protocol to `HTTP/1.1`.
    @inline(__always) func setHTTP11() {
        isHTTP11 = true
        if otherProto != nil { otherProto = nil }
    }
    /// Set with `setUserAgent`, which keeps `isReplicator` with it.
    @usableFromInline private(set) var userAgent: String? = nil
    /// `userAgent` starts with `harbor-registry-client`: Harbor's own registry client. Kept with
    /// the agent: several detectors ask per event, and each question retained, compared and
    /// released the agent's String.
    @usableFromInline private(set) var isReplicator = false

    /// Sets `userAgent` and `isReplicator`.
    @inline(__always) func setUserAgent(_ s: String?) {
        userAgent = s
        isReplicator = s?.hasASCIIPrefix(EventStorage.replicatorAgent) == true
    }

    /// Sets `userAgent` and `isReplicator`, which the parser found from the agent's bytes.
    @inline(__always) func setUserAgent(_ s: String?, isReplicator: Bool) {
        userAgent = s
        self.isReplicator = isReplicator
    }

    static let replicatorAgent: StaticString = "harbor-registry-client"

    /// True when `agent`, read from `b[r]`, is Harbor's registry client: from the bytes when they
    /// are its text as they are (`verbatim`: no escape in them), else from the text.
    @inline(__always)
    static func isReplicator(_ agent: String?, _ b: LineBytes, _ r: Range<Int>, verbatim: Bool) -> Bool {
        guard let agent else { return false }
        guard verbatim else { return agent.hasASCIIPrefix(replicatorAgent) }
        return r.count >= 22 && b[r.lowerBound] == 0x68 && b.matches(replicatorAgent, at: r.lowerBound)
    }
    @usableFromInline var host: String? = nil
    @usableFromInline var requestId: String? = nil
    @usableFromInline var repository: String? = nil
    @usableFromInline var reference: String? = nil
    @usableFromInline var uploadId: String? = nil
    @usableFromInline var message: String? = nil
    @usableFromInline var errorCode: String? = nil
    @usableFromInline var requestTime: Double? = nil
    @usableFromInline var timeIsStart: Bool = false
    @usableFromInline var component: Component = .unknown
    @usableFromInline var format: LogFormat = .unknown
    @usableFromInline var kind: RequestKind = .none
    @usableFromInline var level: LogLevel = .none
    @usableFromInline var isFrontLine: Bool = false
    @usableFromInline var fieldsTouched: Bool = false
    @usableFromInline var upstreamTime: Double? = nil
    /// A field of `extra` was set since the box was new or `reset`. `reset` keeps the `extra` box
    /// and clears only a touched one.
    @usableFromInline var extraTouched: Bool = false
    /// The protocol is `HTTP/1.1` (see `proto`).
    @usableFromInline private(set) var isHTTP11: Bool = false

    @usableFromInline init() {}

    deinit { lazyBytes?.deallocate() }

    /// The kept bytes.
    @inline(__always)
    var lazyBuffer: LineBytes { LineBytes(start: lazyBytes, count: Int(lazyCount)) }

    // The setters of `extra`'s fields for a parser holding the box (`Event.writable()`): a nil
    // value makes no box and touches none, as `Event`'s setters.
    @inline(__always) func setUpstreamAddr(_ v: String?) { if v != nil || extraTouched { extraBox().upstreamAddr = v } }
    @inline(__always) func setReferer(_ v: String?) { if v != nil || extraTouched { extraBox().referer = v } }
    @inline(__always) func setPathPrefix(_ v: String?) { if v != nil || extraTouched { extraBox().pathPrefix = v } }
    @inline(__always) func setUploadDigest(_ v: String?) { if v != nil || extraTouched { extraBox().uploadDigest = v } }
    @inline(__always) func setMountDigest(_ v: String?) { if v != nil || extraTouched { extraBox().mountDigest = v } }
    @inline(__always) func setMountFrom(_ v: String?) { if v != nil || extraTouched { extraBox().mountFrom = v } }
    @inline(__always) func setErrorDetail(_ v: String?) { if v != nil || extraTouched { extraBox().errorDetail = v } }

    /// The text of `slot` (invalid UTF-8 repaired, as `LineBytes.string`), nil when it holds none.
    @usableFromInline func lazyText(_ slot: TextSlot) -> String? {
        guard slot.count > 0 else { return nil }
        return lazyBuffer.string(Int(slot.start)..<Int(slot.start) + Int(slot.count))
    }

    /// Keeps `b[r]` as bytes; the slot of them, nil when it would not fit a slot (empty, or past
    /// 64 KiB: then the field is kept as text).
    @inline(__always)
    func keep(_ b: LineBytes, _ r: Range<Int>) -> TextSlot? {
        let start = Int(lazyCount)
        let end = start + r.count
        guard !r.isEmpty, end <= Int(UInt16.max) else { return nil }
        if end > Int(lazyCapacity) {
            let room = min(Int(UInt16.max), max(end, 2 * Int(lazyCapacity), 128))
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: room)
            if let old = lazyBytes {
                grown.update(from: old, count: start)
                old.deallocate()
            }
            lazyBytes = grown
            lazyCapacity = UInt16(room)
        }
        (lazyBytes! + start).update(from: b.baseAddress! + r.lowerBound, count: r.count)
        lazyCount = UInt16(end)
        return TextSlot(start: UInt16(start), count: UInt16(r.count))
    }

    /// A field's value for `b[r]`: its bytes kept (no text), or its text when they do not fit.
    @inline(__always)
    func kept(_ b: LineBytes, _ r: Range<Int>) -> (String?, TextSlot) {
        if let slot = keep(b, r) { return (nil, slot) }
        return (b.string(r), TextSlot())
    }

    /// Sets `path` to the text of `b[r]`, kept as bytes until read.
    @inline(__always)
    func setPath(_ b: LineBytes, _ r: Range<Int>) { (path, pathSlot) = kept(b, r) }

    /// Sets `query` to the text of `b[r]`, kept as bytes until read.
    @inline(__always)
    func setQuery(_ b: LineBytes, _ r: Range<Int>) { (query, querySlot) = kept(b, r) }

    /// Sets `requestId` to the text of `b[r]`, kept as bytes until read.
    @inline(__always)
    func setRequestId(_ b: LineBytes, _ r: Range<Int>) { (requestId, requestIdSlot) = kept(b, r) }

    /// The path, query and request id as text, whether kept as text or as bytes.
    @inline(__always) var pathText: String? { path ?? lazyText(pathSlot) }
    @inline(__always) var queryText: String? { query ?? lazyText(querySlot) }
    @inline(__always) var requestIdText: String? { requestId ?? lazyText(requestIdSlot) }

    /// True when the event has a path.
    @inline(__always) var hasPath: Bool { path != nil || pathSlot.count > 0 }
    /// True when the event has a request id.
    @inline(__always) var hasRequestId: Bool { requestId != nil || requestIdSlot.count > 0 }

    /// A hash of the path's text (that of "" without one, as the request stitcher compared
    /// `path ?? ""`), made without a String when the kept bytes are ASCII: equal paths hash alike
    /// whether kept as bytes or as text.
    func pathHash() -> UInt64 {
        if let p = path { return Self.textHash(p) }
        guard pathSlot.count > 0 else { return Self.textHash("") }
        let r = Int(pathSlot.start)..<Int(pathSlot.start) + Int(pathSlot.count)
        let b = lazyBuffer
        // ASCII checked in the hash's own pass, eight bytes at a time (a byte-at-a-time loop was 3
        // instructions a byte, a pass of its own 2 a byte).
        var high: UInt64 = 0
        let h = StringInterner.hash(b, r, high: &high)
        return high & 0x8080_8080_8080_8080 == 0 ? h &+ 1 : Self.textHash(b.string(r))
    }

    private static func textHash(_ s: String) -> UInt64 {
        var t = s
        return t.withUTF8 { StringInterner.hash($0, 0..<$0.count) &+ 1 }
    }

    /// Sets the source's site and file, and the line, of a new or recycled box: a recycled box of
    /// the same source has them already. (The box is taken before the strings are read: read
    /// first, they were retained across the pool's call and released after, per line.)
    @inline(__always)
    func place(site: String, file: String, line: Int) {
        // Compared as the two words of each String: a source's events share its strings, and a
        // box of another source's gets them without a comparison of their text (about 70
        // instructions a line when the boxes of several sources came back mixed).
        if !self.site.isSameValue(as: site) { self.site = site }
        if !self.file.isSameValue(as: file) { self.file = file }
        self.line = line
    }

    /// `extra`, made when first needed, for a field to be set.
    @usableFromInline func extraBox() -> EventExtra {
        extraTouched = true
        if let x = extra { return x }
        let x = EventExtra()
        extra = x
        return x
    }

    /// Back to a new box's values (for `EventPool`), but for `site` and `file` (set by the next
    /// event's init) and the room for kept bytes (kept, emptied).
    func reset() {
        // A field is released only when it holds something (a release call per field was most of
        // this); `site` and `file` are left for `Event.init(site:file:line:pool:)`, which keeps
        // them when they are the same strings (a source's events share them).
        time = 0
        timeIsStart = false
        component = .unknown
        format = .unknown
        line = 0
        if client != nil { client = nil }
        if user != nil { user = nil }
        if otherMethod != nil { otherMethod = nil }
        methodCode = .none
        if path != nil { path = nil }
        if query != nil { query = nil }
        isHTTP11 = false
        if otherProto != nil { otherProto = nil }
        status = 0
        bytes = -1
        requestTime = nil
        upstreamTime = nil
        if userAgent != nil { userAgent = nil }
        isReplicator = false
        if host != nil { host = nil }
        if requestId != nil { requestId = nil }
        kind = .none
        if repository != nil { repository = nil }
        if reference != nil { reference = nil }
        if uploadId != nil { uploadId = nil }
        level = .none
        if message != nil { message = nil }
        if errorCode != nil { errorCode = nil }
        if fieldsTouched {
            if !storedFields.isEmpty { storedFields.removeAll() }
            fieldsTouched = false
        }
        isFrontLine = false
        clientKey = 0
        // The box of the rarer fields is kept, emptied (its own box: no event shares it, `copy`
        // copies it). Freed and made again, it cost a tenth of the proxy log's lines about 1,000
        // instructions (an allocation, and a release of each of its 12 Strings in its deinit).
        if extraTouched {
            extra.unsafelyUnwrapped.clear()
            extraTouched = false
        }
        lazyCount = 0
        pathSlot = TextSlot()
        querySlot = TextSlot()
        requestIdSlot = TextSlot()
    }

    @usableFromInline func copy() -> EventStorage {
        let c = EventStorage()
        c.time = time
        c.timeIsStart = timeIsStart
        c.site = site
        c.component = component
        c.format = format
        c.file = file
        c.line = line
        c.client = client
        c.user = user
        c.otherMethod = otherMethod
        c.methodCode = methodCode
        c.path = path
        c.query = query
        c.otherProto = otherProto
        c.isHTTP11 = isHTTP11
        c.status = status
        c.bytes = bytes
        c.requestTime = requestTime
        c.upstreamTime = upstreamTime
        c.userAgent = userAgent
        c.isReplicator = isReplicator
        c.host = host
        c.requestId = requestId
        c.kind = kind
        c.repository = repository
        c.reference = reference
        c.uploadId = uploadId
        c.level = level
        c.message = message
        c.errorCode = errorCode
        c.fields = fields
        c.isFrontLine = isFrontLine
        c.clientKey = clientKey
        if extraTouched {
            c.extra = extra?.copy()
            c.extraTouched = true
        }
        if lazyCount > 0, let bytes = lazyBytes {
            let copied = UnsafeMutablePointer<UInt8>.allocate(capacity: Int(lazyCount))
            copied.update(from: bytes, count: Int(lazyCount))
            c.lazyBytes = copied
            c.lazyCount = lazyCount
            c.lazyCapacity = lazyCount
        }
        c.pathSlot = pathSlot
        c.querySlot = querySlot
        c.requestIdSlot = requestIdSlot
        return c
    }

    func equals(_ o: EventStorage) -> Bool {
        time == o.time
            && timeIsStart == o.timeIsStart
            && site == o.site
            && component == o.component
            && format == o.format
            && file == o.file
            && line == o.line
            && client == o.client
            && user == o.user
            && method == o.method
            && pathText == o.pathText
            && queryText == o.queryText
            && proto == o.proto
            && status == o.status
            && bytes == o.bytes
            && requestTime == o.requestTime
            && upstreamTime == o.upstreamTime
            && (extra?.upstreamAddr) == (o.extra?.upstreamAddr)
            && userAgent == o.userAgent
            && (extra?.referer) == (o.extra?.referer)
            && host == o.host
            && requestIdText == o.requestIdText
            && kind == o.kind
            && repository == o.repository
            && reference == o.reference
            && uploadId == o.uploadId
            && (extra?.uploadDigest) == (o.extra?.uploadDigest)
            && (extra?.mountDigest) == (o.extra?.mountDigest)
            && (extra?.mountFrom) == (o.extra?.mountFrom)
            && (extra?.pathPrefix) == (o.extra?.pathPrefix)
            && level == o.level
            && message == o.message
            && (extra?.caller) == (o.extra?.caller)
            && errorCode == o.errorCode
            && (extra?.errorDetail) == (o.extra?.errorDetail)
            && fields == o.fields
            && (extra?.jobId) == (o.extra?.jobId)
            && (extra?.jobName) == (o.extra?.jobName)
            && (extra?.jobAction ?? JobAction.none) == (o.extra?.jobAction ?? JobAction.none)
            && (extra?.sourceArtifact) == (o.extra?.sourceArtifact)
            && (extra?.destinationArtifact) == (o.extra?.destinationArtifact)
            && isFrontLine == o.isFrontLine
            && clientKey == o.clientKey
    }
}

/// The HTTP methods the detectors test, as a byte.
public enum HTTPMethod: UInt8, Sendable {
    case none, get, head, put, post, patch, delete, other

    /// The method's text; nil for `.none` and `.other`.
    @inlinable var text: String? {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .put: "PUT"
        case .post: "POST"
        case .patch: "PATCH"
        case .delete: "DELETE"
        case .none, .other: nil
        }
    }

    /// The code of `m`: its exact, case-sensitive text (as `m == "GET"` compared it), read the
    /// way the parsers read a method's bytes.
    init(_ m: String?) {
        guard var m else { self = .none; return }
        self = m.withUTF8 { NginxAccessParser.method($0, 0..<$0.count) ?? .other }
    }
}

/// What a request's path says it is about, in registry terms.
public enum RequestKind: String, Sendable, CaseIterable, Codable {
    case none, ping, token, catalog, tags, manifest, blob, upload, api, health, other
}

/// Log level of an application line.
public enum LogLevel: String, Sendable, CaseIterable, Codable {
    case none, debug, info, warning, error, fatal, panic
}

/// The format a line was read with.
public enum LogFormat: String, Sendable, CaseIterable, Codable {
    case unknown
    /// nginx access line in a known or user-supplied `log_format`.
    case nginxAccess = "nginx"
    /// nginx error log line.
    case nginxError = "nginx-error"
    /// Harbor's text format (core, jobservice, registryctl, job logs).
    case harborText = "harbor"
    /// distribution's logrus text format (registry).
    case registryLogrus = "registry"
    /// distribution's gorilla combined access line (registry).
    case registryAccess = "registry-access"
    /// gorilla common log line (registryctl).
    case commonAccess = "common-access"
}

/// A step of a jobservice job, as its log line says.
public enum JobAction: String, Sendable, CaseIterable, Codable {
    case none
    case incoming, exitSuccess = "exit_success", exitError = "exit_error", stopped, retrying
    case clientCreated = "client_created"
    case copyingArtifact = "copying_artifact", copyingReference = "copying_reference"
    case pullingManifest = "pulling_manifest", manifestPulled = "manifest_pulled"
    case artifactExists = "artifact_exists_skip", sameNameExists = "same_name_skip"
    case copyingBlob = "copying_blob", blobCopied = "blob_copied", blobExists = "blob_exists_skip"
    case blobMounted = "blob_mounted", foreignLayer = "foreign_layer", retryLater = "retry_later"
    case pushingManifest = "pushing_manifest", manifestPushed = "manifest_pushed"
    case copyCompleted = "copy_completed", copyFailed = "copy_failed", jobFailed = "job_failed"
    case deleted, jobStopped = "job_stopped"
}

/// The rarely set fields of an `EventStorage`, owned by exactly one storage (copied with it).
@usableFromInline
final class EventExtra: @unchecked Sendable {
    var upstreamAddr: String? = nil
    var referer: String? = nil
    var uploadDigest: String? = nil
    var mountDigest: String? = nil
    var mountFrom: String? = nil
    var pathPrefix: String? = nil
    var caller: String? = nil
    var errorDetail: String? = nil
    var jobId: String? = nil
    var jobName: String? = nil
    var jobAction: JobAction = .none
    var sourceArtifact: String? = nil
    var destinationArtifact: String? = nil

    /// Every field back to nil (`.none`), releasing only those set.
    func clear() {
        if upstreamAddr != nil { upstreamAddr = nil }
        if referer != nil { referer = nil }
        if uploadDigest != nil { uploadDigest = nil }
        if mountDigest != nil { mountDigest = nil }
        if mountFrom != nil { mountFrom = nil }
        if pathPrefix != nil { pathPrefix = nil }
        if caller != nil { caller = nil }
        if errorDetail != nil { errorDetail = nil }
        if jobId != nil { jobId = nil }
        if jobName != nil { jobName = nil }
        jobAction = .none
        if sourceArtifact != nil { sourceArtifact = nil }
        if destinationArtifact != nil { destinationArtifact = nil }
    }

    func copy() -> EventExtra {
        let c = EventExtra()
        c.upstreamAddr = upstreamAddr
        c.referer = referer
        c.uploadDigest = uploadDigest
        c.mountDigest = mountDigest
        c.mountFrom = mountFrom
        c.pathPrefix = pathPrefix
        c.caller = caller
        c.errorDetail = errorDetail
        c.jobId = jobId
        c.jobName = jobName
        c.jobAction = jobAction
        c.sourceArtifact = sourceArtifact
        c.destinationArtifact = destinationArtifact
        return c
    }
}


/// Event boxes to use again: the engine hands back each event it is done with (unless a detector
/// kept it), and the sources' parsers take the next event's box from here instead of allocating
/// one. Freeing a box and allocating the next one cost about 250 instructions a line.
///
/// One thread only: a run reading and correlating on one thread (`analyze --single-thread`,
/// `parse`), or one parse thread's own pool, refilled from the boxes the correlating thread
/// handed back (`returns`).
final class EventPool: @unchecked Sendable {
    /// The boxes held, each retained once, in memory of the pool's own: a stack of `count`
    /// (an array's append and popLast checked its buffer's uniqueness and capacity per event).
    private let free: UnsafeMutablePointer<Unmanaged<EventStorage>>
    private(set) var count = 0
    private let capacity: Int
    /// Where a parse thread's pool takes boxes from when it has none (nil: a run on one thread).
    private let returns: BoxReturns?

    /// A pool keeping up to `capacity` boxes, refilled from `returns` when empty.
    init(capacity: Int = 1024, returns: BoxReturns? = nil) {
        self.capacity = max(capacity, 1)
        self.returns = returns
        free = .allocate(capacity: self.capacity)
    }

    deinit {
        for i in 0..<count { free[i].release() }
        free.deallocate()
    }

    /// A box `reset` when it was put back, or nil when there is none.
    @inline(__always)
    func take() -> EventStorage? {
        guard count > 0 else { return refill() }
        count -= 1
        return free[count].takeRetainedValue()
    }

    /// Frees the boxes past the first `n` (a stream whose reads became small: the room a backlog's
    /// reads needed is given back).
    func trim(keeping n: Int) {
        while count > max(n, 0) {
            count -= 1
            free[count].release()
        }
    }

    /// The boxes handed back since the last refill, reset here (on the parse thread: their fields'
    /// releases were the correlating thread's work, with the box's own free); one of them taken.
    @inline(never)
    private func refill() -> EventStorage? {
        guard let returns else { return nil }
        returns.take(upTo: capacity) { put($0) }
        guard count > 0 else { return nil }
        count -= 1
        return free[count].takeRetainedValue()
    }

    /// Keeps `box` (held by nothing else) for a later event, its fields released now.
    @inline(__always)
    func put(_ box: EventStorage) {
        guard count < capacity else { return }
        box.reset()
        free[count] = Unmanaged.passRetained(box)
        count += 1
    }
}

/// Event boxes handed back by the thread that correlates to the threads that parse (`analyze`
/// with its sources parsed on threads of their own). Freed where they were used, each box cost
/// the correlating thread, the one that bounds the run, about a fifth of its instructions: its
/// fields' releases, the box's deinit and a free into another thread's allocator cache. Handed
/// back as they are, a parse thread resets them (`EventPool.refill`) and no box is freed or
/// allocated.
///
/// `give` is for the correlating thread only (it gathers boxes and hands them over 256 at a
/// time, under the lock); `take` for any parse thread. At most `capacity` boxes wait here; more
/// are freed as before.
final class BoxReturns: @unchecked Sendable {
    // `@unchecked Sendable`: `waiting` is touched only under `lock`, `gathered` only by the one
    // thread that gives.
    private let lock = Monitor()
    private var waiting: [Unmanaged<EventStorage>] = []
    private var gathered: [Unmanaged<EventStorage>] = []
    private let capacity: Int
    private static let handOver = 256

    /// Hand-overs of up to `capacity` boxes waiting.
    init(capacity: Int = 2048) {
        self.capacity = capacity
        waiting.reserveCapacity(capacity)
        gathered.reserveCapacity(Self.handOver)
    }

    deinit {
        for b in waiting { b.release() }
        for b in gathered { b.release() }
    }

    /// Keeps `box` (held by nothing else; its fields as they are) for a parse thread.
    @inline(__always)
    func give(_ box: EventStorage) {
        gathered.append(Unmanaged.passRetained(box))
        if gathered.count >= Self.handOver { handOver() }
    }

    @inline(never)
    private func handOver() {
        lock.lock()
        let fits = waiting.count + gathered.count <= capacity
        if fits { waiting.append(contentsOf: gathered) }
        lock.unlock()
        if !fits { for b in gathered { b.release() } }  // the parse threads have enough
        gathered.removeAll(keepingCapacity: true)
    }

    /// Hands up to `most` waiting boxes, not reset, to `body` (on a parse thread).
    func take(upTo most: Int, _ body: (EventStorage) -> Void) {
        lock.lock()
        let n = min(most, waiting.count)
        let taken = Array(waiting[(waiting.count - n)...])
        waiting.removeLast(n)
        lock.unlock()
        for b in taken { body(b.takeRetainedValue()) }
    }
}

/// Where a field's bytes sit in `EventStorage.lazyBytes` (count 0: none there).
@usableFromInline
struct TextSlot: Sendable, Equatable {
    var start: UInt16 = 0
    var count: UInt16 = 0
}
