using System.Reflection;
using System.Runtime.Loader;
using Pulse.Runtime.Catalog;

namespace Pulse.Silo.Hosting;

/// <summary>
/// Loads the assemblies named in <see cref="SiloHostOptions.GrainAssemblies"/> so the silo hosts their
/// grain classes: deployments that add grains without rebuilding the silo, and end-to-end tests whose
/// grains live in the test assembly. They go into the default load context, so their grain interfaces
/// and Pulse's own types are the same types the runtime sees.
/// </summary>
internal static partial class GrainAssemblyLoader
{
    private static readonly Lock s_gate = new();
    private static readonly HashSet<string> s_probeDirectories = new(StringComparer.Ordinal);
    private static bool s_resolverInstalled;

    /// <summary>Loads each path and adds it to <paramref name="options"/>.</summary>
    /// <exception cref="InvalidOperationException">A path does not name a loadable assembly.</exception>
    public static void LoadInto(GrainAssemblyOptions options, IReadOnlyList<string>? paths, ILogger logger)
    {
        foreach (string path in paths ?? [])
        {
            string fullPath = Path.GetFullPath(path);
            AddProbeDirectory(Path.GetDirectoryName(fullPath)!);
            Assembly assembly;
            try
            {
                assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(fullPath);
            }
            catch (Exception exception) when (exception is FileNotFoundException or BadImageFormatException or FileLoadException)
            {
                throw new InvalidOperationException($"Pulse:Silo:GrainAssemblies: '{path}' could not be loaded: {exception.Message}", exception);
            }

            if (!options.Assemblies.Contains(assembly))
            {
                options.Assemblies.Add(assembly);
            }

            LogLoaded(logger, assembly.GetName().Name ?? fullPath, fullPath);
        }
    }

    private static void AddProbeDirectory(string directory)
    {
        lock (s_gate)
        {
            s_probeDirectories.Add(directory);
            if (!s_resolverInstalled)
            {
                // The silo's deps.json does not list a plug-in's own dependencies: look next to the plug-in.
                AssemblyLoadContext.Default.Resolving += Resolve;
                s_resolverInstalled = true;
            }
        }
    }

    private static Assembly? Resolve(AssemblyLoadContext context, AssemblyName name)
    {
        string[] directories;
        lock (s_gate)
        {
            directories = [.. s_probeDirectories];
        }

        foreach (string directory in directories)
        {
            string candidate = Path.Combine(directory, name.Name + ".dll");
            if (File.Exists(candidate))
            {
                return context.LoadFromAssemblyPath(candidate);
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 9500, Level = LogLevel.Information, Message = "Loaded grain assembly {AssemblyName} from {Path}")]
    private static partial void LogLoaded(ILogger logger, string assemblyName, string path);
}
