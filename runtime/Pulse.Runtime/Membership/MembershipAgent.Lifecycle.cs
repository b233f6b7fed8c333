namespace Pulse.Runtime.Membership;

/// <summary>Joining and leaving the cluster.</summary>
public sealed partial class MembershipAgent
{
    /// <summary>
    /// Joins the cluster: declares previous incarnations of this endpoint Dead, inserts this silo as
    /// Joining, probes the Active and Joining silos and declares Dead every one that neither answers nor
    /// heartbeated within <see cref="Configuration.MembershipOptions.IAmAliveStaleAfter"/> (so a cluster
    /// whose silos were all killed restarts at once), writes Active and starts the periodic work.
    /// Silos that do not answer but heartbeated recently are left to the failure detector.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The agent was already started, a newer incarnation of this endpoint is in the table, the table was
    /// declared this silo Dead meanwhile, or the writes kept conflicting.
    /// </exception>
    public async Task JoinAsync(CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            if (_state != AgentState.Created)
            {
                throw new InvalidOperationException($"The membership agent of {Self} was already started ({_state}); create a new agent per silo incarnation.");
            }

            _state = AgentState.Joining;
        }

        MembershipLog.OptionsInEffect(Logger, Self, _options.ToString());
        MembershipLog.Joining(Logger, Self);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        CancellationToken token = linked.Token;
        try
        {
            await _table.InitializeAsync(token).ConfigureAwait(false);
            Require(await RunTableChangeAsync("insert as Joining", InsertSelfStepAsync, token).ConfigureAwait(false), "insert its row");
            await DeclareUnreachableStaleSilosDeadAsync(token).ConfigureAwait(false);
            Require(await WriteOwnStatusAsync(SiloStatus.Active, token).ConfigureAwait(false), "write Active");
            lock (_stateLock)
            {
                if (_state != AgentState.Joining)
                {
                    throw new InvalidOperationException($"The membership agent of {Self} was stopped while joining.");
                }

                _state = AgentState.Active;
            }
        }
        catch
        {
            lock (_stateLock)
            {
                if (_state == AgentState.Joining)
                {
                    _state = AgentState.Stopped;
                }
            }

            throw;
        }

        StartLoops();
        MembershipLog.Joined(Logger, Self, CurrentView);
    }

    /// <summary>
    /// Writes ShuttingDown, so every node takes this silo off the hash ring while it drains. The silo keeps
    /// refreshing its view and heartbeating (others still probe it) but no longer probes or votes.
    /// Does nothing unless the silo is Active.
    /// </summary>
    public async Task BeginShutdownAsync(CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            if (_state != AgentState.Active)
            {
                return;
            }

            _state = AgentState.ShuttingDown;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        Require(await WriteOwnStatusAsync(SiloStatus.ShuttingDown, linked.Token).ConfigureAwait(false), "write ShuttingDown");
        MembershipLog.ShuttingDown(Logger, Self);
    }

    /// <summary>
    /// Stops the periodic work and writes Dead: the silo has left. Call it after draining and before the
    /// transport closes (until Dead is written, others still probe this silo). Does nothing if the agent
    /// never joined, was stopped, or was already declared Dead.
    /// </summary>
    /// <exception cref="InvalidOperationException">The write kept conflicting.</exception>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            if (_state is not (AgentState.Active or AgentState.ShuttingDown))
            {
                return;
            }

            _state = AgentState.Left;
        }

        // The loops stop first: a refresh that read the Dead row about to be written would otherwise
        // take this graceful exit for an eviction and terminate the silo.
        await StopLoopsAsync().ConfigureAwait(false);
        Require(await WriteOwnStatusAsync(SiloStatus.Dead, cancellationToken).ConfigureAwait(false), "write Dead");
        MembershipLog.Left(Logger, Self);
    }

    private void Require(bool succeeded, string what)
    {
        if (!succeeded)
        {
            throw new InvalidOperationException($"Silo {Self} could not {what}: the membership table kept changing under it ({_options.MaxTableWriteAttempts} attempts).");
        }
    }

    private async Task<TableStep> InsertSelfStepAsync(MembershipTableSnapshot snapshot, CancellationToken cancellationToken)
    {
        foreach ((MembershipEntry entry, string etag) in snapshot.Entries)
        {
            if (entry.Silo == Self || !entry.Silo.IsSameEndpoint(Self))
            {
                continue;
            }

            if (entry.Silo.Generation > Self.Generation && entry.Status != SiloStatus.Dead)
            {
                throw new InvalidOperationException($"Silo {Self} cannot join: a newer incarnation {entry.Silo} of its endpoint is {entry.Status}.");
            }

            if (entry.Silo.Generation < Self.Generation && entry.Status != SiloStatus.Dead)
            {
                // Our own endpoint answering means this process, so the old incarnation is certainly gone.
                MembershipEntry dead = entry with { Status = SiloStatus.Dead };
                if (!await _table.UpdateRowAsync(dead, etag, snapshot.Version.Next(), cancellationToken).ConfigureAwait(false))
                {
                    return TableStep.Conflict;
                }

                MembershipLog.PreviousIncarnationDeclaredDead(Logger, Self, entry.Silo);
                return TableStep.WroteAndContinue;
            }
        }

        if (snapshot.TryGet(Self, out _, out _))
        {
            // An earlier attempt's insert landed even though its answer was lost; nothing left to do.
            return TableStep.Done;
        }

        DateTimeOffset now = TimeProvider.GetUtcNow();
        var row = new MembershipEntry
        {
            Silo = Self,
            Status = SiloStatus.Joining,
            SiloName = LocalSilo.SiloName,
            HostName = LocalSilo.HostName,
            ClientPort = LocalSilo.ClientPort,
            HttpPort = LocalSilo.HttpPort,
            StartTime = _startTime,
            IAmAliveTime = now,
        };
        return await _table.InsertRowAsync(row, snapshot.Version.Next(), cancellationToken).ConfigureAwait(false)
            ? TableStep.Wrote
            : TableStep.Conflict;
    }

    private async Task DeclareUnreachableStaleSilosDeadAsync(CancellationToken cancellationToken)
    {
        ClusterMembershipView view = CurrentView;
        List<SiloAddress> candidates = [];
        foreach (MembershipEntry entry in view.Members.Values)
        {
            if (entry.Silo != Self && entry.Status is SiloStatus.Active or SiloStatus.Joining)
            {
                candidates.Add(entry.Silo);
            }
        }

        if (candidates.Count == 0)
        {
            return;
        }

        var probes = new Task<bool>[candidates.Count];
        for (int i = 0; i < candidates.Count; i++)
        {
            probes[i] = ProbeAsync(candidates[i], cancellationToken);
        }

        bool[] answered = await Task.WhenAll(probes).ConfigureAwait(false);
        DateTimeOffset now = TimeProvider.GetUtcNow();
        HashSet<SiloAddress> unreachable = [];
        for (int i = 0; i < candidates.Count; i++)
        {
            if (answered[i])
            {
                continue;
            }

            MembershipEntry entry = view.Members[candidates[i]];
            if (IsStale(entry, now))
            {
                unreachable.Add(entry.Silo);
            }
            else
            {
                MembershipLog.UnreachableSiloNotStale(Logger, Self, entry.Silo, entry.IAmAliveTime);
            }
        }

        if (unreachable.Count > 0)
        {
            // Best effort: a silo this fails to declare is still found by the failure detector later.
            await RunTableChangeAsync(
                "declare unreachable stale silos Dead",
                (snapshot, token) => DeclareStaleStepAsync(snapshot, unreachable, now, token),
                cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<TableStep> DeclareStaleStepAsync(
        MembershipTableSnapshot snapshot, HashSet<SiloAddress> unreachable, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach ((MembershipEntry entry, string etag) in snapshot.Entries)
        {
            // Re-checked against the fresh read: a silo that heartbeated since the probe is alive after all.
            if (!unreachable.Contains(entry.Silo) || entry.Status is not (SiloStatus.Active or SiloStatus.Joining) || !IsStale(entry, now))
            {
                continue;
            }

            MembershipEntry dead = entry with { Status = SiloStatus.Dead };
            if (!await _table.UpdateRowAsync(dead, etag, snapshot.Version.Next(), cancellationToken).ConfigureAwait(false))
            {
                return TableStep.Conflict;
            }

            MembershipLog.StaleSiloDeclaredDead(Logger, Self, entry.Silo, entry.IAmAliveTime);
            return TableStep.WroteAndContinue;
        }

        return TableStep.Done;
    }

    private bool IsStale(MembershipEntry entry, DateTimeOffset now) => entry.IAmAliveTime < now - _options.IAmAliveStaleAfter;

    /// <summary>Moves this silo's own row to <paramref name="status"/> (and refreshes its IAmAlive time).</summary>
    private Task<bool> WriteOwnStatusAsync(SiloStatus status, CancellationToken cancellationToken) =>
        RunTableChangeAsync($"write {status}", async (snapshot, token) =>
        {
            if (!snapshot.TryGet(Self, out MembershipEntry own, out string etag) || own.Status == SiloStatus.Dead)
            {
                if (status == SiloStatus.Dead)
                {
                    return TableStep.Done;
                }

                // Declared Dead (or removed) by the others before this write: the silo must not come back.
                TerminateSelf($"the table no longer has it as a member while it tried to write {status}");
                throw new InvalidOperationException($"Silo {Self} was declared Dead by the cluster before it could write {status}.");
            }

            if (own.Status == status)
            {
                return TableStep.Done;
            }

            MembershipEntry updated = own with { Status = status, IAmAliveTime = TimeProvider.GetUtcNow() };
            return await _table.UpdateRowAsync(updated, etag, snapshot.Version.Next(), token).ConfigureAwait(false)
                ? TableStep.Wrote
                : TableStep.Conflict;
        }, cancellationToken);
}
