namespace Pulse.Runtime;

/// <summary>
/// The grain context of the code running on this thread: set by the runtime while it constructs a
/// grain and while an activation runs a turn. <see cref="Grain"/>'s constructor reads it, which is
/// how grain classes get their context without passing it through their constructors.
/// </summary>
public static class RuntimeContext
{
    [ThreadStatic]
    private static IGrainContext? t_current;

    /// <summary>The context of the activation whose turn is running on this thread, if any.</summary>
    public static IGrainContext? Current => t_current;

    /// <summary>Sets the current context and returns the previous one (runtime use).</summary>
    internal static IGrainContext? Set(IGrainContext? context)
    {
        IGrainContext? previous = t_current;
        t_current = context;
        return previous;
    }
}
