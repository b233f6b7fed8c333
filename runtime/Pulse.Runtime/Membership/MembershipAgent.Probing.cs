namespace Pulse.Runtime.Membership;

/// <summary>The failure detector: probing ring successors and counting consecutive misses.</summary>
public sealed partial class MembershipAgent
{
    // Only the probing loop touches this, and a loop never overlaps itself: no lock needed.
    private readonly Dictionary<SiloAddress, int> _missedProbes = [];

    /// <summary>
    /// The silos <paramref name="self"/> probes: the next <paramref name="count"/> silos after it in the
    /// ordered ring of <paramref name="monitored"/> silos, wrapping around, excluding itself (fewer when
    /// the ring is smaller). <paramref name="self"/> need not be in the list; its position is where it
    /// would sort, so every silo probes the same neighbours whatever its own status.
    /// </summary>
    internal static List<SiloAddress> SelectProbeTargets(IReadOnlyList<SiloAddress> monitored, SiloAddress self, int count)
    {
        var ring = new List<SiloAddress>(monitored.Count);
        foreach (SiloAddress silo in monitored)
        {
            if (silo != self)
            {
                ring.Add(silo);
            }
        }

        ring.Sort();
        int start = 0;
        while (start < ring.Count && ring[start].CompareTo(self) < 0)
        {
            start++;
        }

        int take = Math.Min(count, ring.Count);
        var targets = new List<SiloAddress>(take);
        for (int i = 0; i < take; i++)
        {
            targets.Add(ring[(start + i) % ring.Count]);
        }

        return targets;
    }

    /// <summary>
    /// The silos this one watches in a view: Active ones (the ring) and also ShuttingDown ones, so a silo
    /// that crashes while draining is still declared Dead instead of staying ShuttingDown forever.
    /// </summary>
    private static List<SiloAddress> MonitoredSilos(ClusterMembershipView view)
    {
        List<SiloAddress> monitored = [];
        foreach (MembershipEntry entry in view.Members.Values)
        {
            if (entry.Status is SiloStatus.Active or SiloStatus.ShuttingDown)
            {
                monitored.Add(entry.Silo);
            }
        }

        return monitored;
    }

    private async Task ProbeRoundAsync(CancellationToken cancellationToken)
    {
        ClusterMembershipView view = CurrentView;
        bool active;
        lock (_stateLock)
        {
            active = _state == AgentState.Active;
        }

        // Only full members judge others: a joining or leaving silo's opinion should not evict anyone.
        if (!active || view.GetStatus(Self) != SiloStatus.Active)
        {
            _missedProbes.Clear();
            return;
        }

        List<SiloAddress> targets = SelectProbeTargets(MonitoredSilos(view), Self, _options.NumProbedSilos);
        if (_missedProbes.Count > 0)
        {
            // A silo that left the probed set (ring change, declared Dead) starts from zero if it comes back.
            foreach (SiloAddress tracked in _missedProbes.Keys.ToArray())
            {
                if (!targets.Contains(tracked))
                {
                    _missedProbes.Remove(tracked);
                }
            }
        }

        if (targets.Count == 0)
        {
            return;
        }

        var probes = new Task<bool>[targets.Count];
        for (int i = 0; i < targets.Count; i++)
        {
            probes[i] = ProbeAsync(targets[i], cancellationToken);
        }

        bool[] answered = await Task.WhenAll(probes).ConfigureAwait(false);
        for (int i = 0; i < targets.Count; i++)
        {
            SiloAddress target = targets[i];
            _missedProbes.TryGetValue(target, out int misses);
            if (answered[i])
            {
                if (misses > 0)
                {
                    MembershipLog.ProbeRecovered(Logger, Self, target, misses);
                    _missedProbes.Remove(target);
                }

                continue;
            }

            misses++;
            _missedProbes[target] = misses;
            MembershipLog.ProbeMissed(Logger, Self, target, misses);
            if (misses >= _options.NumMissedProbesLimit)
            {
                // Voting again on every further miss refreshes this silo's vote, so it stays fresh
                // until enough others agree, and a vote lost to a table outage is simply cast again.
                await SuspectOrDeclareDeadAsync(target, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One probe; a prober that throws counts as a miss rather than failing the round.</summary>
    private async Task<bool> ProbeAsync(SiloAddress target, CancellationToken cancellationToken)
    {
        try
        {
            return await _prober.ProbeAsync(target, _options.ProbeTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            MembershipLog.ProbeFailed(Logger, Self, target, exception);
            return false;
        }
    }
}
