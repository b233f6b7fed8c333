namespace Pulse.Runtime.Membership;

/// <summary>The lifecycle of a silo as the membership table records it. Transitions only move forward.</summary>
public enum SiloStatus
{
    /// <summary>No status (not in the table).</summary>
    None = 0,

    /// <summary>Started, checking it can reach the active silos; owns no grains yet.</summary>
    Joining = 1,

    /// <summary>A full member: owns its share of the hash ring.</summary>
    Active = 2,

    /// <summary>Leaving gracefully: no longer on the ring, finishing work and writing state.</summary>
    ShuttingDown = 3,

    /// <summary>Gone (stopped, or declared dead by the others). A silo that reads itself Dead stops.</summary>
    Dead = 4,
}

/// <summary>One vote that a silo is suspected dead, by another silo, at a time.</summary>
/// <param name="Suspecter">The silo that missed its probes.</param>
/// <param name="Time">When the vote was cast (votes expire).</param>
public sealed record SuspectVote(SiloAddress Suspecter, DateTimeOffset Time);

/// <summary>One row of the membership table.</summary>
public sealed record MembershipEntry
{
    /// <summary>The silo's identity.</summary>
    public required SiloAddress Silo { get; init; }

    /// <summary>Its status.</summary>
    public required SiloStatus Status { get; init; }

    /// <summary>A human-readable name (pod name, "silo-2").</summary>
    public string SiloName { get; init; } = "";

    /// <summary>The host the process runs on.</summary>
    public string HostName { get; init; } = "";

    /// <summary>The port clients (gateways) connect to; 0 when the silo accepts no clients.</summary>
    public int ClientPort { get; init; }

    /// <summary>The port of the silo's HTTP endpoint (health, dashboard); 0 when none.</summary>
    public int HttpPort { get; init; }

    /// <summary>When the silo started.</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>Last time the silo reported itself alive.</summary>
    public DateTimeOffset IAmAliveTime { get; init; }

    /// <summary>Suspicion votes against the silo (only fresh ones count).</summary>
    public IReadOnlyList<SuspectVote> Suspicions { get; init; } = [];
}

/// <summary>The version of the whole table: every change is a conditional write on it.</summary>
/// <param name="Version">Increases by one with every change.</param>
/// <param name="Etag">Opaque token of the version row.</param>
public sealed record TableVersion(int Version, string Etag)
{
    /// <summary>The version a change writes.</summary>
    public TableVersion Next() => this with { Version = Version + 1 };
}

/// <summary>A snapshot of the table: every row with its row ETag, and the table version.</summary>
/// <param name="Entries">Rows with their ETags.</param>
/// <param name="Version">The table version read with them.</param>
public sealed record MembershipTableSnapshot(IReadOnlyList<(MembershipEntry Entry, string Etag)> Entries, TableVersion Version)
{
    /// <summary>Finds a silo's row.</summary>
    public bool TryGet(SiloAddress silo, out MembershipEntry entry, out string etag)
    {
        foreach ((MembershipEntry candidate, string candidateEtag) in Entries)
        {
            if (candidate.Silo == silo)
            {
                entry = candidate;
                etag = candidateEtag;
                return true;
            }
        }

        entry = null!;
        etag = "";
        return false;
    }
}
