# Sourced by scripts: finds a JDK 25+ (the machine's default java may be older).
find_java25() {
  local candidate major
  for candidate in "${PSPGW_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    major="$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    if [ -n "$major" ] && [ "${major%%.*}" -ge 25 ] 2>/dev/null; then
      echo "$candidate/bin/java"
      return 0
    fi
  done
  echo "no JDK 25 or newer found (looked at PSPGW_JAVA_HOME, JAVA_HOME and /usr/lib/jvm)" >&2
  return 1
}

# The JVM options of every launch of the project (the pspgw launcher, the netns deployment, the
# benchmarks and the soak): FFM's native access, and Pekko's sun.misc.Unsafe use allowed without the
# JDK's warnings about it.
PSPGW_BASE_JAVA_OPTS="--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"
# The heap, unless PSPGW_JAVA_OPTS says otherwise: sized from the machine's (or the container's)
# memory rather than fixed, with half of it young, because a burst of set-ups allocates briefly and
# a lot (docs/user-guide.md, "The JVM under bursts").
PSPGW_DEFAULT_HEAP_OPTS="-XX:InitialRAMPercentage=25 -XX:MaxRAMPercentage=50 -XX:NewRatio=1"

# Prints the options to start a JVM of the project with: the base ones, then PSPGW_JAVA_OPTS when it
# is set (even to ""), else the default heap sizing.
pspgw_java_opts() {
  echo "$PSPGW_BASE_JAVA_OPTS ${PSPGW_JAVA_OPTS-$PSPGW_DEFAULT_HEAP_OPTS}"
}
