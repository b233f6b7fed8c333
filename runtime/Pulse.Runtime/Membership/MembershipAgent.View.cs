using System.Collections.Immutable;

namespace Pulse.Runtime.Membership;

/// <summary>Table reads, view publishing, and stopping the silo when it is no longer a member.</summary>
public sealed partial class MembershipAgent
{
    /// <inheritdoc />
    /// <remarks>Does nothing once the agent stopped (left, was stopped, or terminated its silo).</remarks>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        await ReadAndPublishAsync(linked.Token).ConfigureAwait(false);
    }

    private Task RefreshLoopAsync(CancellationToken cancellationToken) => ReadAndPublishAsync(cancellationToken);

    /// <summary>Reads the table, publishes it if newer, and terminates the silo if it is no longer a member.</summary>
    private async Task<MembershipTableSnapshot> ReadAndPublishAsync(CancellationToken cancellationToken)
    {
        MembershipTableSnapshot snapshot = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
        Publish(snapshot);
        CheckSelf(snapshot);
        return snapshot;
    }

    private void CheckSelf(MembershipTableSnapshot snapshot)
    {
        AgentState state;
        lock (_stateLock)
        {
            state = _state;
        }

        // Only a member can lose its membership: while joining the own row may not exist yet, and
        // after leaving it is Dead on purpose.
        if (state is not (AgentState.Active or AgentState.ShuttingDown))
        {
            return;
        }

        if (!snapshot.TryGet(Self, out MembershipEntry own, out _))
        {
            TerminateSelf($"its row is gone from the table at version {snapshot.Version.Version}");
        }
        else if (own.Status == SiloStatus.Dead)
        {
            TerminateSelf($"the table declares it Dead at version {snapshot.Version.Version}");
        }
    }

    private void TerminateSelf(string reason)
    {
        lock (_stateLock)
        {
            if (_state is AgentState.Terminated or AgentState.Left or AgentState.Stopped)
            {
                return;
            }

            _state = AgentState.Terminated;
        }

        MembershipLog.SelfDeclaredDead(Logger, Self, reason);
        // Loops first, so nothing this silo does from here on (votes, heartbeats) reaches the table.
        CancelLoops();
        try
        {
            _terminator.TerminateSelf(reason);
        }
        catch (Exception exception)
        {
            MembershipLog.TerminatorFailed(Logger, Self, exception);
        }
    }

    private void Publish(MembershipTableSnapshot snapshot)
    {
        lock (_viewLock)
        {
            if (snapshot.Version.Version <= _currentView.Version)
            {
                return;
            }
        }

        ImmutableDictionary<SiloAddress, MembershipEntry>.Builder members = ImmutableDictionary.CreateBuilder<SiloAddress, MembershipEntry>();
        foreach ((MembershipEntry entry, _) in snapshot.Entries)
        {
            members[entry.Silo] = entry;
        }

        var view = new ClusterMembershipView(snapshot.Version.Version, members.ToImmutable());
        lock (_viewLock)
        {
            if (view.Version <= _currentView.Version)
            {
                return;
            }

            _currentView = view;
            if (_raising)
            {
                // The thread already raising picks this view up before it stops.
                return;
            }

            _raising = true;
        }

        RaiseViewChanged();
    }

    /// <summary>
    /// Raises <see cref="ViewChanged"/> for the newest view until none is left, on one thread at a time:
    /// handlers never run concurrently and see strictly increasing versions (intermediate ones may be skipped).
    /// </summary>
    private void RaiseViewChanged()
    {
        while (true)
        {
            ClusterMembershipView view;
            lock (_viewLock)
            {
                if (_currentView.Version <= _raisedVersion)
                {
                    _raising = false;
                    return;
                }

                view = _currentView;
                _raisedVersion = view.Version;
            }

            MembershipLog.ViewChanged(Logger, Self, view);
            if (ViewChanged is { } handlers)
            {
                foreach (Delegate handler in handlers.GetInvocationList())
                {
                    try
                    {
                        ((Action<ClusterMembershipView>)handler)(view);
                    }
                    catch (Exception exception)
                    {
                        MembershipLog.ViewChangedHandlerFailed(Logger, Self, view.Version, exception);
                    }
                }
            }
        }
    }
}
