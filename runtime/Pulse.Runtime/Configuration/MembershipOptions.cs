using Microsoft.Extensions.Options;

namespace Pulse.Runtime.Configuration;

/// <summary>
/// Failure detection and membership table settings of the membership agent.
/// </summary>
/// <remarks>
/// <para>
/// <b>Detection time with the defaults.</b> A probe round starts every <see cref="ProbePeriod"/> (1 s);
/// a round whose probes wait the full <see cref="ProbeTimeout"/> (1 s) delays the next round until it
/// ends, so rounds are <c>max(ProbePeriod, ProbeTimeout)</c> = 1 s apart. A silo killed at time 0 fails
/// every probe that starts after 0; the first such probe starts by 1 s, the third by 1 + 2 × 1 = 3 s,
/// and its timeout ends it by 4 s. That third consecutive miss (<see cref="NumMissedProbesLimit"/>)
/// makes the prober vote at once. In a 3-silo cluster both other silos probe the dead one (each probes
/// up to <see cref="NumProbedSilos"/> = 3 ring successors), each reaches 3 misses by 4 s on its own
/// schedule, and the second vote (<see cref="NumVotesForDeathDeclaration"/> = 2) writes Dead: about
/// 4 s plus two table round trips. The voters re-read the table at once and gossip; every other silo
/// sees the change within <see cref="TableRefreshPeriod"/> (1 s) even without gossip: about 5 s in
/// all, leaving 5 s of the 10 s budget for slow table writes and a conflict retry or two.
/// </para>
/// <para>
/// <b>Stalls are tolerated.</b> A silo frozen from time S for D seconds (a GC pause, SIGSTOP) answers
/// everything at S + D. A probe sent before S is answered at once (a loopback or LAN round trip is far
/// shorter than anything here); one sent at time t in the freeze misses only if S + D comes after its
/// timeout (t &lt; S + D - ProbeTimeout): a window of D - ProbeTimeout seconds. Rounds 1 s apart put
/// at most 2 probe starts in a window shorter than 2 s, fewer than the 3 consecutive misses that
/// trigger a vote, and the first answer resets the count. So a stall shorter than ProbeTimeout + 2
/// rounds = 3 s is never suspected: the 2 s of a SIGSTOP keep a whole second of margin for a loaded
/// machine, where the resumed process may take a few hundred milliseconds to answer. A stall of 3 s or
/// more may be suspected, and is declared only if enough others agree.
/// </para>
/// <para>
/// <b>Votes.</b> A declaration needs <c>min(NumVotesForDeathDeclaration, voters)</c> fresh votes, where
/// voters are the Active silos other than the suspect whose IAmAlive is fresher than
/// <see cref="IAmAliveStaleAfter"/> (the voter itself always counts): a 2-silo cluster declares with one
/// vote, and a survivor whose peers all died is not stuck waiting on votes that will never come.
/// </para>
/// </remarks>
public sealed class MembershipOptions
{
    /// <summary>Default <see cref="TableRefreshPeriod"/>: 1 second.</summary>
    public static readonly TimeSpan DefaultTableRefreshPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Default <see cref="IAmAlivePeriod"/>: 2 seconds.</summary>
    public static readonly TimeSpan DefaultIAmAlivePeriod = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Default <see cref="IAmAliveStaleAfter"/>: 6 seconds (three missed heartbeats). Short on purpose:
    /// after a whole cluster was killed, the rows of the dead silos keep counting as voters until their
    /// heartbeats go stale, so this bounds how long a restarted cluster routes to silos that are gone.
    /// </summary>
    public static readonly TimeSpan DefaultIAmAliveStaleAfter = TimeSpan.FromSeconds(6);

    /// <summary>Default <see cref="ProbePeriod"/>: 1 second.</summary>
    public static readonly TimeSpan DefaultProbePeriod = TimeSpan.FromSeconds(1);

    /// <summary>Default <see cref="ProbeTimeout"/>: 1 second.</summary>
    public static readonly TimeSpan DefaultProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Default <see cref="NumProbedSilos"/>: 3.</summary>
    public const int DefaultNumProbedSilos = 3;

    /// <summary>Default <see cref="NumMissedProbesLimit"/>: 3.</summary>
    public const int DefaultNumMissedProbesLimit = 3;

    /// <summary>Default <see cref="NumVotesForDeathDeclaration"/>: 2.</summary>
    public const int DefaultNumVotesForDeathDeclaration = 2;

    /// <summary>Default <see cref="DeathVoteExpiration"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultDeathVoteExpiration = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="DefunctSiloCleanupPeriod"/>: 1 hour.</summary>
    public static readonly TimeSpan DefaultDefunctSiloCleanupPeriod = TimeSpan.FromHours(1);

    /// <summary>Default <see cref="DefunctSiloExpiration"/>: 7 days.</summary>
    public static readonly TimeSpan DefaultDefunctSiloExpiration = TimeSpan.FromDays(7);

    /// <summary>Default <see cref="MaxTableWriteAttempts"/>: 10.</summary>
    public const int DefaultMaxTableWriteAttempts = 10;

    /// <summary>Default <see cref="ConflictRetryDelay"/>: 100 milliseconds.</summary>
    public static readonly TimeSpan DefaultConflictRetryDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Default <see cref="MaxConflictRetryDelay"/>: 2 seconds.</summary>
    public static readonly TimeSpan DefaultMaxConflictRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>How often the agent reads the whole table and publishes a newer view (gossip only makes it sooner).</summary>
    public TimeSpan TableRefreshPeriod { get; set; } = DefaultTableRefreshPeriod;

    /// <summary>How often the agent writes its IAmAlive time (a heartbeat that bumps no version).</summary>
    public TimeSpan IAmAlivePeriod { get; set; } = DefaultIAmAlivePeriod;

    /// <summary>
    /// A row whose IAmAlive time is older than this is stale: a joining silo declares a stale silo that
    /// does not answer its probe Dead at once (so a cluster whose silos were all killed restarts without
    /// waiting on their Active rows), and a stale silo is not counted among the voters a declaration needs.
    /// At least twice <see cref="IAmAlivePeriod"/>, so one lost heartbeat never makes a live silo stale.
    /// </summary>
    public TimeSpan IAmAliveStaleAfter { get; set; } = DefaultIAmAliveStaleAfter;

    /// <summary>How often the agent probes its ring successors.</summary>
    public TimeSpan ProbePeriod { get; set; } = DefaultProbePeriod;

    /// <summary>How long a probe waits for the answer before it counts as missed.</summary>
    public TimeSpan ProbeTimeout { get; set; } = DefaultProbeTimeout;

    /// <summary>How many ring successors each silo probes (fewer in a smaller cluster).</summary>
    public int NumProbedSilos { get; set; } = DefaultNumProbedSilos;

    /// <summary>Consecutive missed probes after which the prober votes that the silo is dead (and votes again on every further miss).</summary>
    public int NumMissedProbesLimit { get; set; } = DefaultNumMissedProbesLimit;

    /// <summary>Fresh votes that declare a silo Dead (capped by the number of live voters; see the remarks).</summary>
    public int NumVotesForDeathDeclaration { get; set; } = DefaultNumVotesForDeathDeclaration;

    /// <summary>A vote older than this no longer counts (so suspicions from a long-past hiccup never add up).</summary>
    public TimeSpan DeathVoteExpiration { get; set; } = DefaultDeathVoteExpiration;

    /// <summary>How often the agent deletes long-dead rows.</summary>
    public TimeSpan DefunctSiloCleanupPeriod { get; set; } = DefaultDefunctSiloCleanupPeriod;

    /// <summary>Dead rows last alive longer ago than this are deleted by the cleanup.</summary>
    public TimeSpan DefunctSiloExpiration { get; set; } = DefaultDefunctSiloExpiration;

    /// <summary>
    /// How many times one table change (join, status change, vote) is tried when another writer changed
    /// the table first. The first retry is immediate (the conflict means the table moved on, so re-reading
    /// is enough); later ones back off exponentially from <see cref="ConflictRetryDelay"/>.
    /// </summary>
    public int MaxTableWriteAttempts { get; set; } = DefaultMaxTableWriteAttempts;

    /// <summary>First back-off after repeated write conflicts (doubled per conflict, with jitter).</summary>
    public TimeSpan ConflictRetryDelay { get; set; } = DefaultConflictRetryDelay;

    /// <summary>Longest back-off between write attempts.</summary>
    public TimeSpan MaxConflictRetryDelay { get; set; } = DefaultMaxConflictRetryDelay;

    /// <inheritdoc />
    public override string ToString() =>
        $"TableRefreshPeriod={TableRefreshPeriod}, IAmAlivePeriod={IAmAlivePeriod}, IAmAliveStaleAfter={IAmAliveStaleAfter}, "
        + $"ProbePeriod={ProbePeriod}, ProbeTimeout={ProbeTimeout}, NumProbedSilos={NumProbedSilos}, "
        + $"NumMissedProbesLimit={NumMissedProbesLimit}, NumVotesForDeathDeclaration={NumVotesForDeathDeclaration}, "
        + $"DeathVoteExpiration={DeathVoteExpiration}, DefunctSiloCleanupPeriod={DefunctSiloCleanupPeriod}, "
        + $"DefunctSiloExpiration={DefunctSiloExpiration}, MaxTableWriteAttempts={MaxTableWriteAttempts}, "
        + $"ConflictRetryDelay={ConflictRetryDelay}, MaxConflictRetryDelay={MaxConflictRetryDelay}";
}

/// <summary>Validates <see cref="MembershipOptions"/> at start-up.</summary>
public sealed class MembershipOptionsValidator : IValidateOptions<MembershipOptions>
{
    public ValidateOptionsResult Validate(string? name, MembershipOptions options)
    {
        List<string> failures = [];
        Positive(options.TableRefreshPeriod, nameof(options.TableRefreshPeriod), failures);
        Positive(options.IAmAlivePeriod, nameof(options.IAmAlivePeriod), failures);
        Positive(options.ProbePeriod, nameof(options.ProbePeriod), failures);
        Positive(options.ProbeTimeout, nameof(options.ProbeTimeout), failures);
        Positive(options.DeathVoteExpiration, nameof(options.DeathVoteExpiration), failures);
        Positive(options.DefunctSiloCleanupPeriod, nameof(options.DefunctSiloCleanupPeriod), failures);
        Positive(options.DefunctSiloExpiration, nameof(options.DefunctSiloExpiration), failures);
        Positive(options.ConflictRetryDelay, nameof(options.ConflictRetryDelay), failures);
        AtLeastOne(options.NumProbedSilos, nameof(options.NumProbedSilos), failures);
        AtLeastOne(options.NumMissedProbesLimit, nameof(options.NumMissedProbesLimit), failures);
        AtLeastOne(options.NumVotesForDeathDeclaration, nameof(options.NumVotesForDeathDeclaration), failures);
        AtLeastOne(options.MaxTableWriteAttempts, nameof(options.MaxTableWriteAttempts), failures);

        if (options.IAmAlivePeriod > TimeSpan.Zero && options.IAmAliveStaleAfter < 2 * options.IAmAlivePeriod)
        {
            failures.Add("Pulse:Membership:IAmAliveStaleAfter must be at least twice IAmAlivePeriod, so one lost heartbeat does not make a live silo stale.");
        }

        // A second suspecter may reach its miss limit a full detection cycle after the first; the first
        // vote must still be fresh then, or two votes could never coincide.
        TimeSpan round = options.ProbePeriod > options.ProbeTimeout ? options.ProbePeriod : options.ProbeTimeout;
        if (round > TimeSpan.Zero && options.NumMissedProbesLimit >= 1
            && options.DeathVoteExpiration < (options.NumMissedProbesLimit + 1) * round)
        {
            failures.Add("Pulse:Membership:DeathVoteExpiration must be at least (NumMissedProbesLimit + 1) probe rounds, or votes expire before a second suspecter can add its own.");
        }

        if (options.MaxConflictRetryDelay < options.ConflictRetryDelay)
        {
            failures.Add("Pulse:Membership:MaxConflictRetryDelay must not be shorter than ConflictRetryDelay.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(TimeSpan value, string name, List<string> failures)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"Pulse:Membership:{name} must be positive.");
        }
    }

    private static void AtLeastOne(int value, string name, List<string> failures)
    {
        if (value < 1)
        {
            failures.Add($"Pulse:Membership:{name} must be at least 1.");
        }
    }
}
