using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Client;

/// <summary>
/// A read-only membership view for nodes that route calls but host no grains (the gateway's cluster
/// client): polls the membership table and publishes each newer version. It never writes the table.
/// </summary>
internal sealed partial class MembershipTableWatcher : IClusterMembershipService, IAsyncDisposable
{
    private readonly IMembershipTable _table;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _period;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private ClusterMembershipView _view = ClusterMembershipView.Empty;

    public MembershipTableWatcher(IMembershipTable table, TimeProvider timeProvider, TimeSpan period, ILogger logger)
    {
        _table = table;
        _timeProvider = timeProvider;
        _period = period;
        _logger = logger;
    }

    public ClusterMembershipView CurrentView => Volatile.Read(ref _view);

    public event Action<ClusterMembershipView>? ViewChanged;

    /// <summary>Reads the table once (so the first calls can route) and starts polling.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        _loop = PollAsync(_stopping.Token);
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            MembershipTableSnapshot snapshot = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
            if (snapshot.Version.Version <= _view.Version && _view != ClusterMembershipView.Empty)
            {
                return;
            }

            var members = snapshot.Entries.ToImmutableDictionary(row => row.Entry.Silo, row => row.Entry);
            var view = new ClusterMembershipView(snapshot.Version.Version, members);
            Volatile.Write(ref _view, view);
            ViewChanged?.Invoke(view);
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_period, _timeProvider, cancellationToken).ConfigureAwait(false);
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Keep the last view: a table outage must not stop routing to silos that are still up.
                LogRefreshFailed(_logger, exception);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 9100, Level = LogLevel.Warning, Message = "Reading the membership table failed; keeping the last view")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
