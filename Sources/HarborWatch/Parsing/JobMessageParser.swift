/// Reads what a jobservice line (service log or job log) says: job start/end and the replication steps.
///
/// Messages are matched by their stable text (`src/controller/replication/transfer/image/transfer.go`,
/// `src/jobservice/runner/redis.go`), never by the caller's file:line, which changes between releases.
public enum JobMessageParser {
    /// Fills `jobAction`, `jobId`, `jobName`, artifacts, repository/reference and status from `e.message`.
    public static func interpret(_ e: inout Event) {
        guard let m = e.message else { return }
        if m.hasPrefix("Job incoming: ") {
            e.jobAction = .incoming
            let json = m.dropFirst(14)
            e.jobName = jsonString(json, "name")
            e.jobId = jsonString(json, "id")
            if let t = jsonNumber(json, "t") { e.fields["enqueued_at"] = String(t) }
            if let f = jsonNumber(json, "fails") { e.fields["fails"] = String(f) }
            return
        }
        if m.hasPrefix("Job '"), let close = m.dropFirst(5).firstIndex(of: "'") {
            setNameAndId(String(m[m.index(m.startIndex, offsetBy: 5)..<close]), &e)
            let rest = m[m.index(after: close)...]
            if rest.hasPrefix(" exit with success") {
                e.jobAction = .exitSuccess
            } else if rest.hasPrefix(" exit with error") {
                e.jobAction = .exitError
                if let c = rest.range(of: "error: ") { e.errorDetail = String(rest[c.upperBound...]) }
                statusCode(m, &e)
            }
            return
        }
        if m.hasPrefix("Retrying job ") {
            e.jobAction = .retrying
            let body = m.dropFirst(13)
            let id = body.prefix { $0 != "," }
            setNameAndId(String(id), &e)
            if let r = body.range(of: "revision: ") { e.fields["revision"] = String(body[r.upperBound...]) }
            return
        }
        if m.hasPrefix("Job "), m.hasSuffix(" is stopped") {
            e.jobAction = .stopped
            setNameAndId(String(m.dropFirst(4).dropLast(11)), &e)
            return
        }
        replication(m, &e)
    }

    private static func replication(_ m: String, _ e: inout Event) {
        if m.hasPrefix("client for ") {
            e.jobAction = .clientCreated
            if let u = m.range(of: "URL: "), let c = m[u.upperBound...].firstIndex(of: ",") {
                e.fields[m.hasPrefix("client for source") ? "source_url" : "destination_url"] = String(m[u.upperBound..<c])
            }
        } else if m.hasPrefix("copying the blob ") {
            e.jobAction = .copyingBlob
            e.reference = String(m.dropFirst(17).prefix { $0 != "(" && $0 != " " })
        } else if m.hasPrefix("copying ") {
            // copying <src>(source registry) to <dst>(destination registry)...
            let body = m.dropFirst(8)
            guard let s = body.range(of: "(source registry) to "), let d = body.range(of: "(destination registry)") else { return }
            let src = String(body[..<s.lowerBound]), dst = String(body[s.upperBound..<d.lowerBound])
            e.sourceArtifact = src
            e.destinationArtifact = dst
            e.jobAction = dst.contains(":[") ? .copyingArtifact : .copyingReference
            setArtifact(dst, &e)
        } else if m.hasPrefix("copy the blob ") {
            e.jobAction = .blobCopied
            e.reference = String(m.dropFirst(14).prefix { $0 != " " })
        } else if m.hasPrefix("copy ") && m.hasSuffix(" completed") {
            let body = m.dropFirst(5)
            if let s = body.range(of: "(source registry) to "), let d = body.range(of: "(destination registry)") {
                e.sourceArtifact = String(body[..<s.lowerBound])
                e.destinationArtifact = String(body[s.upperBound..<d.lowerBound])
                setArtifact(e.destinationArtifact!, &e)
            }
            e.jobAction = .copyCompleted
        } else if m.hasPrefix("pulling the manifest of artifact ") {
            e.jobAction = .pullingManifest
            setArtifact(String(m.dropFirst(33).prefix { $0 != " " }), &e)
            e.sourceArtifact = e.repository.map { "\($0):\(e.reference ?? "")" }
        } else if m.hasPrefix("pushing the manifest of artifact ") {
            e.jobAction = .pushingManifest
            setArtifact(String(m.dropFirst(33).prefix { $0 != " " }), &e)
            e.destinationArtifact = artifactText(e)
        } else if m.hasPrefix("the manifest of artifact ") {
            let art = String(m.dropFirst(25).prefix { $0 != " " })
            setArtifact(art, &e)
            if m.hasSuffix(" pulled") {
                e.jobAction = .manifestPulled; e.sourceArtifact = art
            } else if m.hasSuffix(" pushed") {
                e.jobAction = .manifestPushed; e.destinationArtifact = art
            } else if m.hasSuffix(" is deleted") {
                e.jobAction = .deleted
            }
        } else if m.hasPrefix("the artifact ") && m.contains("already exists on the destination registry") {
            e.jobAction = .artifactExists
            let art = String(m.dropFirst(13).prefix { $0 != " " })
            setArtifact(art, &e)
            e.destinationArtifact = art
        } else if m.hasPrefix("the same name artifact ") {
            e.jobAction = .sameNameExists
            let art = String(m.dropFirst(23).prefix { $0 != " " })
            setArtifact(art, &e)
            e.destinationArtifact = art
        } else if m.hasPrefix("the blob ") {
            e.reference = String(m.dropFirst(9).prefix { $0 != " " })
            if m.contains(" already exists on the destination registry") {
                e.jobAction = .blobExists
            } else if let r = m.range(of: " mounted from the repository ") {
                e.jobAction = .blobMounted
                e.fields["mounted_from"] = String(m[r.upperBound...].prefix { $0 != " " })
            }
        } else if m.hasPrefix("the layer ") && m.hasSuffix("is a foreign layer, skip") {
            e.jobAction = .foreignLayer
            e.reference = String(m.dropFirst(10).prefix { $0 != " " })
        } else if m.hasPrefix("will retry ") {
            e.jobAction = .retryLater
        } else if m.hasPrefix("got error during the whole transfer period") {
            e.jobAction = .jobFailed
        } else if m.hasPrefix("failed to ") {
            e.jobAction = .copyFailed
            if let r = m.range(of: "artifact ") {
                var art = m[r.upperBound...].prefix { $0 != " " }
                if art.hasSuffix(":") { art = art.dropLast() }
                setArtifact(String(art), &e)
            } else if m.hasPrefix("failed to pushing the blob ") || m.hasPrefix("failed to push the blob ") {
                let body = m.dropFirst(m.hasPrefix("failed to pushing") ? 27 : 24)
                e.reference = String(body.prefix { $0 != "," && $0 != " " })
            }
            statusCode(m, &e)
            e.errorDetail = m
        } else if m == "the job is stopped" {
            e.jobAction = .jobStopped
        } else if m.hasPrefix("the tag ") && m.hasSuffix(" is deleted") {
            e.jobAction = .deleted
        }
    }

    /// `NAME:id` → jobName, jobId.
    private static func setNameAndId(_ s: String, _ e: inout Event) {
        if let c = s.firstIndex(of: ":") {
            e.jobName = String(s[..<c])
            e.jobId = String(s[s.index(after: c)...])
        } else {
            e.jobId = s
        }
    }

    /// `repo:ref`, `repo@sha256:…` or `repo:[a,b]` → repository, reference.
    static func setArtifact(_ art: String, _ e: inout Event) {
        if let at = art.firstIndex(of: "@") {
            e.repository = String(art[..<at])
            e.reference = String(art[art.index(after: at)...])
        } else if let c = art.lastIndex(of: ":"), !art[..<c].hasSuffix("sha256") {
            e.repository = String(art[..<c])
            var ref = art[art.index(after: c)...]
            if ref.hasPrefix("[") && ref.hasSuffix("]") { ref = ref.dropFirst().dropLast() }
            e.reference = String(ref)
        } else if let r = art.range(of: ":sha256:") {
            e.repository = String(art[..<r.lowerBound])
            e.reference = String(art[art.index(after: r.lowerBound)...])
        } else {
            e.repository = art
        }
    }

    private static func artifactText(_ e: Event) -> String? {
        guard let repo = e.repository else { return nil }
        guard let ref = e.reference else { return repo }
        return ref.hasPrefix("sha256:") ? "\(repo)@\(ref)" : "\(repo):\(ref)"
    }

    /// `http status code: 500` anywhere in the message → status.
    private static func statusCode(_ m: String, _ e: inout Event) {
        if let r = m.range(of: "http status code: ") {
            let digits = m[r.upperBound...].prefix { $0.isNumber }
            if let s = Int(digits) { e.status = s }
        }
    }

    private static func jsonString(_ s: Substring, _ key: String) -> String? {
        guard let r = s.range(of: "\"\(key)\":\"") else { return nil }
        let rest = s[r.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    private static func jsonNumber(_ s: Substring, _ key: String) -> Int? {
        guard let r = s.range(of: "\"\(key)\":") else { return nil }
        return Int(s[r.upperBound...].prefix { $0.isNumber || $0 == "-" })
    }
}

/// Reads what core says in the few lines it writes at INFO and above about requests.
public enum CoreMessageParser {
    /// Fills `user`, `reference`, `errorCode`, `repository` from core's authentication, blob and audit lines.
    public static func interpret(_ e: inout Event) {
        guard let m = e.message else { return }
        if let r = m.firstRange(ofASCII: "failed to authenticate user:") {
            e.user = Self.until(m.utf8[r.upperBound...], ASCII.comma)
            e.errorCode = "AUTHENTICATION_FAILED"
        } else if let r = m.firstRange(ofASCII: "failed to authenticate robot account: ") {
            e.user = Self.until(m.utf8[r.upperBound...], ASCII.comma, ASCII.space)
            e.errorCode = "AUTHENTICATION_FAILED"
        } else if m.hasASCIIPrefix("Login failed, locking ") {
            e.user = Self.until(m.utf8.dropFirst(22), ASCII.comma)
            e.errorCode = "LOGIN_FAILED"
        } else if m.hasASCIIPrefix("artifact digest "), m.firstRange(ofASCII: "already exist, skip to associate") != nil {
            e.reference = Self.until(m.utf8.dropFirst(16), ASCII.space)
            e.fields["note"] = "artifact_exists"
        } else if m.hasASCIIPrefix("action:") {
            // audit: action:create, resource:library/nginx:1.25, operation_description:…
            e.fields["action"] = Self.until(m.utf8.dropFirst(7), ASCII.comma)
            if let r = m.firstRange(ofASCII: "resource:") {
                JobMessageParser.setArtifact(Self.until(m.utf8[r.upperBound...], ASCII.comma), &e)
            }
        }
    }

    /// The bytes of `s` up to the first `stop` (or `stop2`), as a String: byte by byte, where
    /// `prefix(while:)` on the String walked Characters.
    private static func until(_ s: Substring.UTF8View, _ stop: UInt8, _ stop2: UInt8? = nil) -> String {
        let end = s.firstIndex { $0 == stop || $0 == stop2 } ?? s.endIndex
        return String(decoding: s[..<end], as: UTF8.self)
    }
}
