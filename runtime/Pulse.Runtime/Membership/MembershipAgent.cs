using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;

namespace Pulse.Runtime.Membership;

/// <summary>
/// The membership protocol of one silo: joins the cluster through the membership table, probes its
/// ring successors and votes out silos that stop answering, heartbeats, publishes the table as
/// <see cref="ClusterMembershipView"/>s, and stops the silo (through <see cref="ISiloTerminator"/>)
/// when the table says it is Dead. Create one agent per silo incarnation.
/// </summary>
/// <remarks>
/// Call order: <see cref="JoinAsync"/> at start; at graceful shutdown <see cref="BeginShutdownAsync"/>
/// (others take the silo off the ring), drain, then <see cref="LeaveAsync"/> (writes Dead) while the
/// silo still answers probes; <see cref="StopAsync"/> stops without writing anything. The split into
/// partial files follows the protocol: this file holds state and the periodic loops; <c>.View</c> table
/// reads and view publishing; <c>.TableChanges</c> conditional writes with retries;
/// <c>.Lifecycle</c> join and leave; <c>.Probing</c> the failure detector; <c>.Voting</c> suspicions.
/// </remarks>
public sealed partial class MembershipAgent : IClusterMembershipService, IAsyncDisposable
{
    private readonly IMembershipTable _table;
    private readonly ISiloProber _prober;
    private readonly IMembershipGossip _gossip;
    private readonly ISiloTerminator _terminator;
    private readonly MembershipOptions _options;
    private readonly DateTimeOffset _startTime;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _stateLock = new();
    private readonly Lock _viewLock = new();
    private readonly List<MembershipAgentLoop> _loops = [];
    private AgentState _state = AgentState.Created;
    private ClusterMembershipView _currentView = ClusterMembershipView.Empty;
    private int _raisedVersion;
    private bool _raising;
    private int _pendingWork;

    /// <summary>Creates the agent of one silo incarnation.</summary>
    /// <param name="localSilo">The silo this agent runs in.</param>
    /// <param name="table">The cluster's membership table.</param>
    /// <param name="prober">Checks whether another silo answers.</param>
    /// <param name="gossip">Tells other nodes the table changed.</param>
    /// <param name="terminator">Stops this silo when the table says it is Dead.</param>
    /// <param name="options">Timings; validated here.</param>
    /// <param name="timeProvider">The clock of every timer and timestamp.</param>
    /// <param name="logger">Logger.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public MembershipAgent(
        LocalSiloDetails localSilo,
        IMembershipTable table,
        ISiloProber prober,
        IMembershipGossip gossip,
        ISiloTerminator terminator,
        IOptions<MembershipOptions> options,
        TimeProvider timeProvider,
        ILogger<MembershipAgent> logger)
    {
        ArgumentNullException.ThrowIfNull(localSilo);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(prober);
        ArgumentNullException.ThrowIfNull(gossip);
        ArgumentNullException.ThrowIfNull(terminator);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        if (localSilo.Address.IsDefault)
        {
            throw new ArgumentException("The local silo address must be set.", nameof(localSilo));
        }

        if (localSilo.SiloName is null || localSilo.HostName is null)
        {
            throw new ArgumentException("SiloName and HostName must not be null.", nameof(localSilo));
        }

        MembershipOptions value = options.Value;
        ValidateOptionsResult validation = new MembershipOptionsValidator().Validate(Options.DefaultName, value);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(MembershipOptions), validation.Failures);
        }

        LocalSilo = localSilo;
        _table = table;
        _prober = prober;
        _gossip = gossip;
        _terminator = terminator;
        _options = value;
        TimeProvider = timeProvider;
        Logger = logger;
        _startTime = timeProvider.GetUtcNow();
    }

    private enum AgentState
    {
        Created,
        Joining,
        Active,
        ShuttingDown,
        Left,
        Stopped,
        Terminated,
    }

    /// <inheritdoc />
    public event Action<ClusterMembershipView>? ViewChanged;

    /// <summary>The silo this agent runs in.</summary>
    public LocalSiloDetails LocalSilo { get; }

    /// <inheritdoc />
    public ClusterMembershipView CurrentView
    {
        get
        {
            lock (_viewLock)
            {
                return _currentView;
            }
        }
    }

    internal TimeProvider TimeProvider { get; }

    internal ILogger Logger { get; }

    /// <summary>Periodic runs started and not yet finished (tests wait for 0 after moving a manual clock).</summary>
    internal int PendingWork => Volatile.Read(ref _pendingWork);

    /// <summary>Whether the agent terminated its silo after reading itself Dead.</summary>
    internal bool IsTerminated
    {
        get
        {
            lock (_stateLock)
            {
                return _state == AgentState.Terminated;
            }
        }
    }

    private SiloAddress Self => LocalSilo.Address;

    /// <summary>Stops every loop without writing to the table (the silo vanishes as if killed; others will declare it Dead).</summary>
    public async Task StopAsync()
    {
        bool log;
        lock (_stateLock)
        {
            log = _state is AgentState.Joining or AgentState.Active or AgentState.ShuttingDown;
            if (_state is not (AgentState.Left or AgentState.Terminated))
            {
                _state = AgentState.Stopped;
            }
        }

        await StopLoopsAsync().ConfigureAwait(false);
        if (log)
        {
            MembershipLog.Stopped(Logger, Self);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(StopAsync());

    internal void OnLoopRunStarted() => Interlocked.Increment(ref _pendingWork);

    internal void OnLoopRunEnded() => Interlocked.Decrement(ref _pendingWork);

    private void StartLoops()
    {
        CancellationToken token = _stopping.Token;
        lock (_stateLock)
        {
            _loops.Add(new MembershipAgentLoop(this, "table refresh", _options.TableRefreshPeriod, RefreshLoopAsync, token));
            _loops.Add(new MembershipAgentLoop(this, "heartbeat", _options.IAmAlivePeriod, IAmAliveLoopAsync, token));
            _loops.Add(new MembershipAgentLoop(this, "probing", _options.ProbePeriod, ProbeRoundAsync, token));
            _loops.Add(new MembershipAgentLoop(this, "defunct row cleanup", _options.DefunctSiloCleanupPeriod, CleanupLoopAsync, token));
            foreach (MembershipAgentLoop loop in _loops)
            {
                loop.Start();
            }
        }
    }

    /// <summary>Cancels and disarms every loop without waiting (safe from inside a loop run).</summary>
    private MembershipAgentLoop[] CancelLoops()
    {
        MembershipAgentLoop[] loops;
        lock (_stateLock)
        {
            loops = [.. _loops];
        }

        foreach (MembershipAgentLoop loop in loops)
        {
            loop.Stop();
        }

        _stopping.Cancel();
        return loops;
    }

    private async Task StopLoopsAsync()
    {
        MembershipAgentLoop[] loops = CancelLoops();
        foreach (MembershipAgentLoop loop in loops)
        {
            // Runs never throw (the loop logs); this only waits for them to notice the cancellation.
            await loop.Completion.ConfigureAwait(false);
        }
    }

    private Task IAmAliveLoopAsync(CancellationToken cancellationToken) =>
        _table.UpdateIAmAliveAsync(Self, TimeProvider.GetUtcNow(), cancellationToken);

    private async Task CleanupLoopAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset before = TimeProvider.GetUtcNow() - _options.DefunctSiloExpiration;
        int deleted = await _table.CleanupDefunctSiloEntriesAsync(before, cancellationToken).ConfigureAwait(false);
        if (deleted > 0)
        {
            MembershipLog.DefunctRowsCleaned(Logger, Self, deleted, before);
        }
    }
}
