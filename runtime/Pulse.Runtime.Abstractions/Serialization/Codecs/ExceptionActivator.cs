using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.ExceptionServices;

namespace Pulse.Runtime.Serialization.Codecs;

/// <summary>
/// Recreates deserialized exceptions, resolving type names only against an allowlist: types passed
/// to <see cref="Allow"/>, CoreLib, and already loaded <c>Pulse.*</c> assemblies. Nothing is ever
/// loaded by name, because a type name from the wire is attacker-controlled (deserialization gadgets).
/// </summary>
internal static class ExceptionActivator
{
    public static readonly string InconsistentStateTypeName = typeof(InconsistentStateException).FullName!;
    public static readonly string RemoteGrainTypeName = typeof(RemoteGrainException).FullName!;

    /// <summary>Longer names are not looked up at all; no real exception type has one.</summary>
    private const int MaxTypeNameLength = 512;

    private static readonly Type[] s_messageAndInner = [typeof(string), typeof(Exception)];
    private static readonly Type[] s_messageOnly = [typeof(string)];
    private static readonly Assembly s_coreLib = typeof(object).Assembly;

    private static readonly ConcurrentDictionary<string, Type> s_allowed = new(StringComparer.Ordinal);

    // Only successful resolutions are cached: caching misses would let a peer grow the cache without bound.
    private static readonly ConcurrentDictionary<string, Type> s_resolved = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<Type, ConstructorInfo?> s_constructors = new();

    public static void Allow(Type exceptionType)
    {
        ArgumentNullException.ThrowIfNull(exceptionType);
        if (!IsConstructible(exceptionType) || exceptionType.FullName is not { } name)
        {
            throw new ArgumentException(
                $"{exceptionType} cannot be allowed: it must be a non-abstract, closed type derived from Exception.", nameof(exceptionType));
        }

        s_allowed[name] = exceptionType;
    }

    /// <summary>Creates the exception described by <paramref name="data"/>; never throws.</summary>
    public static Exception Create(in ExceptionData data)
    {
        string typeName = data.TypeName ?? typeof(Exception).FullName!;
        string message = data.Message ?? string.Empty;
        Exception? exception;
        if (typeName == InconsistentStateTypeName)
        {
            exception = new InconsistentStateException(message, data.StoredEtag, data.CurrentEtag);
        }
        else if (typeName == RemoteGrainTypeName)
        {
            // Forwarded through another hop: keep the name of the type that was thrown first.
            exception = new RemoteGrainException(data.OriginalTypeName ?? typeName, message, data.StackTrace);
        }
        else
        {
            exception = TryResolve(typeName, out Type? type) ? TryConstruct(type, message, data.Inner) : null;
            exception ??= new RemoteGrainException(typeName, message, data.StackTrace);
        }

        if (!string.IsNullOrEmpty(data.StackTrace))
        {
            ExceptionDispatchInfo.SetRemoteStackTrace(exception, data.StackTrace);
        }

        return exception;
    }

    private static bool TryResolve(string typeName, [NotNullWhen(true)] out Type? type)
    {
        if (s_allowed.TryGetValue(typeName, out type) || s_resolved.TryGetValue(typeName, out type))
        {
            return true;
        }

        // Generic arguments, assembly qualifiers, pointers and arrays could make GetType load other
        // assemblies; plain (possibly nested, '+') type names cannot.
        if (typeName.Length > MaxTypeNameLength || typeName.AsSpan().IndexOfAny("[],&*`\\ ") >= 0)
        {
            return false;
        }

        type = FindInTrustedAssemblies(typeName);
        if (type is null || !IsConstructible(type))
        {
            type = null;
            return false;
        }

        s_resolved.TryAdd(typeName, type);
        return true;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Exception types that were trimmed away fall back to RemoteGrainException.")]
    [UnconditionalSuppressMessage("Trimming", "IL2057", Justification = "See above.")]
    private static Type? FindInTrustedAssemblies(string typeName)
    {
        Type? type = s_coreLib.GetType(typeName, throwOnError: false, ignoreCase: false);
        if (type is not null)
        {
            return type;
        }

        foreach (Assembly assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.IsDynamic || assembly.GetName().Name is not { } name || !name.StartsWith("Pulse.", StringComparison.Ordinal))
            {
                continue;
            }

            type = assembly.GetType(typeName, throwOnError: false, ignoreCase: false);
            if (type is not null)
            {
                return type;
            }
        }

        return null;
    }

    private static bool IsConstructible(Type type) =>
        typeof(Exception).IsAssignableFrom(type) && !type.IsAbstract && !type.ContainsGenericParameters;

    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "A trimmed constructor makes the exception fall back to RemoteGrainException.")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "See above.")]
    private static Exception? TryConstruct(Type type, string message, Exception? inner)
    {
        // (string, Exception) is preferred: several BCL exceptions (ArgumentNullException,
        // ObjectDisposedException, ...) take a parameter or object name, not a message, in (string).
        ConstructorInfo? constructor = s_constructors.GetOrAdd(
            type,
            static t => t.GetConstructor(s_messageAndInner) ?? t.GetConstructor(s_messageOnly));
        if (constructor is null)
        {
            return null;
        }

        object?[] arguments = constructor.GetParameters().Length == 2 ? [message, inner] : [message];
        try
        {
            return (Exception)constructor.Invoke(arguments);
        }
        catch (Exception)
        {
            // A constructor of an allowed type may throw anything; the caller still deserves the
            // remote error, so the failure turns into the RemoteGrainException fallback.
            return null;
        }
    }
}
