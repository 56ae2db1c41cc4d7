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
