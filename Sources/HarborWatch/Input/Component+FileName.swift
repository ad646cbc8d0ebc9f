extension Component {
    /// The component a log file's live name suggests (`proxy.log` → `.proxy`, `access.log` → `.nginx`,
    /// a 24-hex job id `.log` → `.job`); nil when the name says nothing.
    public init?(logFileName name: String) {
        guard let range = name.firstRange(of: ".log") else { return nil }
        let stem = name[..<range.lowerBound]
        switch stem {
        case "proxy": self = .proxy
        case "core": self = .core
        case "registry": self = .registry
        case "registryctl": self = .registryctl
        case "jobservice": self = .jobservice
        case "portal": self = .portal
        case "access", "error": self = .nginx
        default:
            let isJobID = stem.utf8.count == 24 && stem.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
            guard isJobID else { return nil }
            self = .job
        }
    }
}
