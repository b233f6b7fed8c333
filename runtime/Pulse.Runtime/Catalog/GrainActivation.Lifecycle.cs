using Pulse.Runtime.Invocation;
using Pulse.Runtime.Timers;

namespace Pulse.Runtime.Catalog;

internal sealed partial class GrainActivation
{
    private static readonly SendOrPostCallback s_activate = static state => _ = ((GrainActivation)state!).ActivateAsync();

    private DeactivationReason DeactivationReasonOrDefault => _extras?.DeactivationReason ?? default;

    /// <summary>Starts activation as the first turn; requests that arrive meanwhile wait in the mailbox.</summary>
    public void Activate() => Post(s_activate, this);

    /// <summary>Completes when the activation is gone (deactivated or failed to activate).</summary>
    public Task WaitForDeactivationAsync()
    {
        lock (this)
        {
            if (_state == ActivationState.Invalid)
            {
                return Task.CompletedTask;
            }

            return ((_extras ??= new()).Deactivated ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>Asks the activation to deactivate once its running requests finish; callable from any thread.</summary>
    public void Deactivate(DeactivationReason reason) =>
        Post(static state => { var (self, why) = ((GrainActivation, DeactivationReason))state!; self.BeginDeactivation(why); }, (this, reason));

    private async Task ActivateAsync()
    {
        lock (this)
        {
            if (_state != ActivationState.Creating)
            {
                return;
            }

            _state = ActivationState.Activating;
        }

        TimeSpan timeout = Catalog.CollectionOptions.ActivationTimeout;
        using var cancellation = new CancellationTokenSource(timeout, TimeProvider);
        try
        {
            await ActivateCoreAsync(cancellation.Token).WaitAsync(timeout, TimeProvider);
        }
        catch (Exception exception)
        {
            Exception reported = exception is TimeoutException
                ? new GrainActivationException($"Activation of grain {GrainId} did not complete within {timeout}.", exception)
                : new GrainActivationException($"Activation of grain {GrainId} ({_class.ClassName}) failed: {exception.Message}", exception);
            FailActivation(reported);
            return;
        }

        DeactivationReason? deactivateNow;
        lock (this)
        {
            _state = ActivationState.Valid;
            _lastActiveMilliseconds = Catalog.ActivityClockMilliseconds;
            deactivateNow = _extras?.DeactivateAfterActivation;
        }

        Catalog.Instruments.OnActivated();
        RuntimeLog.Activated(Catalog.Logger, GrainId, _class.ClassName);
        if (deactivateNow is { } reason)
        {
            BeginDeactivation(reason);
        }
        else
        {
            ProcessMailbox();
        }
    }

    private async Task ActivateCoreAsync(CancellationToken cancellationToken)
    {
        _grain = _class.Descriptor.Activator(ActivationServices, this);
        List<IActivationStateParticipant>? participants;
        lock (this)
        {
            participants = _extras?.StateParticipants is { } list ? [.. list] : null;
        }

        if (participants is not null)
        {
            foreach (IActivationStateParticipant participant in participants)
            {
                await participant.ReadAsync(cancellationToken);
            }
        }

        if (_grain is Grain grain)
        {
            await grain.OnActivateAsync(cancellationToken);
        }
    }

    private void FailActivation(Exception exception)
    {
        List<GrainRequest> queued;
        lock (this)
        {
            _state = ActivationState.Invalid;
            queued = DrainQueuedRequestsLocked();
        }

        StopTimers();
        RuntimeLog.ActivationFailed(Catalog.Logger, GrainId, exception);
        Catalog.OnActivationFailed(this);
        foreach (GrainRequest request in queued)
        {
            request.Fail(exception);
        }

        SignalDeactivated();
    }

    private void BeginDeactivation(DeactivationReason reason)
    {
        bool startNow;
        lock (this)
        {
            if (_state is ActivationState.Creating or ActivationState.Activating)
            {
                (_extras ??= new()).DeactivateAfterActivation ??= reason;
                return;
            }

            if (_state != ActivationState.Valid)
            {
                return;
            }

            // The collector decided on a snapshot; a request may have arrived since.
            if (reason.Code == DeactivationReasonCode.ActivationIdle && !IsIdleLocked(Catalog.ActivityClockMilliseconds))
            {
                return;
            }

            _state = ActivationState.Deactivating;
            (_extras ??= new()).DeactivationReason = reason;
            startNow = _running == 0;
        }

        if (startNow)
        {
            StartDeactivationCore();
        }
    }

    /// <summary>Called when the last running request finished and deactivation is due.</summary>
    private void ContinueDeactivation(DeactivationReason reasonIfValid)
    {
        lock (this)
        {
            if (_state == ActivationState.Valid)
            {
                _state = ActivationState.Deactivating;
                (_extras ??= new()).DeactivationReason = reasonIfValid;
            }
            else if (_state != ActivationState.Deactivating)
            {
                return;
            }
        }

        StartDeactivationCore();
    }

    private void StartDeactivationCore()
    {
        lock (this)
        {
            _extras ??= new();
            if (_extras.DeactivationStarted)
            {
                return;
            }

            _extras.DeactivationStarted = true;
        }

        _ = DeactivateCoreAsync();
    }

    private async Task DeactivateCoreAsync()
    {
        StopTimers();
        TimeSpan timeout = Catalog.CollectionOptions.DeactivationTimeout;
        using var cancellation = new CancellationTokenSource(timeout, TimeProvider);
        try
        {
            await DeactivateGrainAsync(cancellation.Token).WaitAsync(timeout, TimeProvider);
        }
        catch (Exception exception)
        {
            RuntimeLog.DeactivationFailed(Catalog.Logger, GrainId, exception);
        }

        List<GrainRequest> queued;
        lock (this)
        {
            _state = ActivationState.Invalid;
            queued = DrainQueuedRequestsLocked();
        }

        Catalog.Instruments.OnDeactivated();
        RuntimeLog.Deactivated(Catalog.Logger, GrainId, DeactivationReasonOrDefault.Code);
        Catalog.OnDeactivated(this, queued);
        SignalDeactivated();
    }

    private async Task DeactivateGrainAsync(CancellationToken cancellationToken)
    {
        if (_grain is Grain grain)
        {
            try
            {
                await grain.OnDeactivateAsync(DeactivationReasonOrDefault, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // State is still written below: a failing OnDeactivateAsync must not lose data.
                RuntimeLog.DeactivationFailed(Catalog.Logger, GrainId, exception);
            }
        }

        if (!Catalog.CollectionOptions.WriteChangedStateOnDeactivation)
        {
            return;
        }

        List<IActivationStateParticipant>? participants;
        lock (this)
        {
            participants = _extras?.StateParticipants is { } list ? [.. list] : null;
        }

        if (participants is null)
        {
            return;
        }

        foreach (IActivationStateParticipant participant in participants)
        {
            try
            {
                if (await participant.WriteIfChangedAsync(cancellationToken))
                {
                    RuntimeLog.StateWrittenOnDeactivation(Catalog.Logger, GrainId, participant.StateName);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // A conflicting write means someone else owns newer state: never overwrite it.
                RuntimeLog.StateWriteOnDeactivationFailed(Catalog.Logger, GrainId, participant.StateName, exception);
            }
        }
    }

    private void StopTimers()
    {
        GrainTimer[]? timers;
        lock (this)
        {
            timers = _extras?.Timers?.ToArray();
            if (_extras is not null)
            {
                _extras.Timers = null;
            }
        }

        if (timers is null)
        {
            return;
        }

        foreach (GrainTimer timer in timers)
        {
            timer.Dispose();
        }
    }

    private void SignalDeactivated()
    {
        TaskCompletionSource? deactivated;
        lock (this)
        {
            deactivated = _extras?.Deactivated;
        }

        deactivated?.TrySetResult();
    }
}
