# ruff: noqa: W291, W293  (the real sipX files carry trailing blanks; they are kept byte for byte)
"""A realistic, sandboxed sipX 3.x ``/etc/sipxpbx`` tree, written by the tests themselves.

The texts below follow the real files in ``../shared/sipx/`` (Pingtel's interop server and the
sipXtapi 3854821 templates: ``SOURCES.txt`` there says where each came from), with this server's
name and address filled in. Effective files (``forwardingrules.xml``, ``registrar-config``,
``proxy-config``, ``topology.xml``) are the ``.in`` templates expanded with ``config.defs`` the way
sipX does it at service start; the ``.in`` templates keep their ``${...}`` placeholders.

Use :func:`write_sipx_tree` (``etc_dir`` is created when missing).
"""

from __future__ import annotations

import re
from pathlib import Path

WATCHDOG_NS = "http://www.sipfoundry.org/sipX/schema/xml/watchdog-00-00"
#: The nine processes of a sipX 3.x master, in WatchDog.xml order (ConferenceBridge is commented out there).
PROCESSES = (
    "KeepAlive",
    "SIPRegistrar",
    "SIPProxy",
    "SIPAuthProxy",
    "SIPStatus",
    "ConfigServer",
    "MediaServer",
    "ParkServer",
    "PresenceServer",
)

_WD_ENTRY = """
      <!-- {comment} -->
      <process name="{name}"{sep}restart="enable" max_restarts="3" report="enable" max_reports="3">
         <failure_contact method="email">sipx@localhost</failure_contact>
      </process>
"""
_WD_COMMENTS = {
    "SIPRegistrar": "Registry/Redirect server",
    "SIPProxy": "Forking proxy (all requests enter through this)",
    "SIPAuthProxy": "Authorization proxy (all requests exit through this)",
    "SIPStatus": "Subscribe/Notify event package server (includes message-waiting package)",
    "ConfigServer": "Configuration Server - Web admin UI",
    "MediaServer": "VXML voicemail and autoattendant applications",
    "ParkServer": "Parking Orbit and Music-on-hold applications",
    "PresenceServer": "Presence Server application",
}
_WD_HEAD = """<?xml version="1.0"?>
<watchdog xmlns="{ns}">
   <settings>
      <health check_period="15" />
      <processxmlpath location="{etc}" />
      <email execute="blat - -from &quot;sipx@{fqdn}&quot; -name &quot;sipx@{fqdn}&quot; \
-to &quot;%CONTACT%&quot; -subject &quot;Watchdog Notification&quot; -body &quot;%BODY%&quot;  "/>
   </settings>

   <monitor> <!-- describes the processes to be run -->

      <!-- Keepalive preloads the in memory databases and keeps them resident
        -  include on any system running any communications server 
        -  or any httpd that uses the sipx authentication module
       -->
      <process name="KeepAlive" restart="enable" max_restarts="3" report="enable" max_reports="3">
         <failure_contact method="email">sipx@localhost</failure_contact>
      </process>

      <!-- Start of Communications Server Processes -->
"""
_WD_TAIL = """
      <!-- Conference Bridge application -->
<!-- Not implemented yet.
      <process name="ConferenceBridge" restart="enable" max_restarts="3" report="enable" max_reports="3">
         <failure_contact method="email">sipx@localhost</failure_contact>
      </process>
-->

   </monitor>
   <logfile level="notice">/var/log/sipxpbx/watchdog.log</logfile>
</watchdog>
"""

_PD_PROCESS = """        <process name="{name}">
            <dependentdelay wait="0" />
            <stdout file="/dev/null" />
            <stderr file="/dev/null" />
            <stdin  file="" />

            <start control="{start}">
                <execute command="/usr/bin/{script}"
                         parameters=""
                         defaultdir="/var/log/sipxpbx" />
            </start>

            <!-- If no execute, then kill -->
            <stop control="{stop}" />

            <!-- If no execute, then stop-start -->
            <restart control="{stop}" />

            <!-- <dependency>??</dependency> -->
        </process>
"""
#: group -> (process, script, start control, stop control), as on the interop server.
_PD_GROUPS = {
    "ConfigServer": (("ConfigServer", "sipxconfig.sh", "false", "false"),),
    "CommServer": (
        ("SIPRegistrar", "sipregistrar.sh", "true", "true"),
        ("SIPProxy", "sipproxy.sh", "true", "true"),
        ("SIPAuthProxy", "sipauthproxy.sh", "true", "true"),
        ("SIPStatus", "sipstatus.sh", "true", "true"),
    ),
    "MediaServer": (
        ("MediaServer", "sipXvxml.sh", "true", "true"),
        ("ParkServer", "sipxpark.sh", "true", "true"),
        ("PresenceServer", "sipxpresence.sh", "true", "true"),
        ("ConferenceBridge", "sipxconference.sh", "false", "true"),
    ),
    "Misc": (("KeepAlive", "keepalive.sh", "true", "false"),),
}
_PD_HEAD = """<?xml version="1.0"?>
<!-- !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
     IMPORTANT NOTE
     The startup scripts referenced here are also used (alas, directly)
     from the sipxpbx.in startup script.  Do not change names or calling
     parameters without making equivalent changes there.
     !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!! -->

<process_definitions xmlns="http://www.sipfoundry.org/sipX/schema/xml/processdefinitions-00-00">
    <dependentdelay wait="0" />
    <workdir location="/var/sipxdata/tmp" />

    <!-- =============================================== -->
    <!-- LOGFILE FOR PROCESSCGI              -->
    <!-- =============================================== -->
    <logfile level="warning">/var/log/sipxpbx/processcgi.log</logfile>
"""

CONFIG_DEFS = """##### Information about this SIPxchange deployment #####

#### SIP Domain Name
# The recommended way to configure your server is to employ DNS SRV
# records to direct SIP requests for your domain to this server.
#
# If you use DNS SRV, the SIPXCHANGE_DOMAIN_NAME should be set 
# to domain name (e.g. domain.com), so comment out the assignment
# below that uses -f and uncomment the one that uses -d:
#
SIPXCHANGE_DOMAIN_NAME=`hostname -f`
# SIPXCHANGE_DOMAIN_NAME=`hostname -d`

#### Core Limit
# should be either '0' for no core files or 'unlimited' to allow them.
#
SIPX_CORELIMIT=unlimited

# the realm string used in authentication challenges
SIPXCHANGE_REALM=`hostname -d`

##### Information about this server #####
MY_FULL_HOSTNAME=`hostname -f`
MY_HOSTNAME=`hostname -s`
MY_IP_ADDR=`/usr/bin/get_def_addr`
SMTP_SERVER="mail.{domain}"

##### Service addresses and ports #####
# For service addresses, use IP addresses (recommended) or host names
PROXY_SERVER_ADDR=${{MY_IP_ADDR}}
PROXY_SERVER_SIP_PORT=5060
PROXY_SERVER_SIP_SECURE_PORT=5061
PROXY_SERVER_SIP_SRV_OR_HOSTPORT=${{SIPXCHANGE_DOMAIN_NAME}}

REGISTRAR_SERVER_ADDR=${{MY_IP_ADDR}}
REGISTRAR_SERVER_SIP_PORT=5070
REGISTRAR_SERVER_SIP_SECURE_PORT=5071
REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT=${{REGISTRAR_SERVER_ADDR}}:${{REGISTRAR_SERVER_SIP_PORT}}

AUTH_PROXY_SERVER_ADDR=${{MY_IP_ADDR}}
AUTH_PROXY_SERVER_SIP_PORT=5080
AUTH_PROXY_SERVER_SIP_SECURE_PORT=5081
AUTH_PROXY_SERVER_SIP_SRV_OR_HOSTPORT=${{AUTH_PROXY_SERVER_ADDR}}:${{AUTH_PROXY_SERVER_SIP_PORT}}

CONFIG_SERVER_ADDR=${{MY_IP_ADDR}}
CONFIG_SERVER_HTTP_PORT=8090
CONFIG_SERVER_HTTPS_PORT=8091

MEDIA_SERVER_ADDR=${{MY_IP_ADDR}}
MEDIA_SERVER_SIP_PORT=5100
MEDIA_SERVER_SIP_SRV_OR_HOSTPORT=${{MEDIA_SERVER_ADDR}}:${{MEDIA_SERVER_SIP_PORT}}

STATUS_SERVER_ADDR=${{MY_IP_ADDR}}
STATUS_SERVER_SIP_PORT=5110
STATUS_SERVER_SIP_SRV_OR_HOSTPORT=${{STATUS_SERVER_ADDR}}:${{STATUS_SERVER_SIP_PORT}}

VOICEMAIL_SERVER_ADDR=${{MY_IP_ADDR}}
VOICEMAIL_SERVER_HOSTNAME=${{MY_FULL_HOSTNAME}}
VOICEMAIL_SERVER_HTTP_PORT=8090
VOICEMAIL_SERVER_HTTPS_PORT=8091

ORBIT_SERVER_ADDR=${{MY_IP_ADDR}}
ORBIT_SERVER_SIP_PORT=5120
ORBIT_SERVER_SIP_SRV_OR_HOSTPORT=${{ORBIT_SERVER_ADDR}}:${{ORBIT_SERVER_SIP_PORT}}

PRESENCE_SERVER_ADDR=${{MY_IP_ADDR}}
PRESENCE_SERVER_SIP_PORT=5130
PRESENCE_SERVER_SIP_SRV_OR_HOSTPORT=${{PRESENCE_SERVER_ADDR}}:${{PRESENCE_SERVER_SIP_PORT}}

##### Installation directories ######
BIN_DIR=/usr/bin
VAR_DIR=/var
SIPX_CONFDIR={etc}
"""

FORWARDINGRULES_IN = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<routes>
  <route mappingType="local">
    <routeFrom>${SIPXCHANGE_DOMAIN_NAME}:${PROXY_SERVER_SIP_PORT}</routeFrom>
    <routeFrom>${MY_IP_ADDR}:${PROXY_SERVER_SIP_PORT}</routeFrom>
    <routeFrom>${MY_FULL_HOSTNAME}:${PROXY_SERVER_SIP_PORT}</routeFrom>
    <routeFrom>${MY_HOSTNAME}:${PROXY_SERVER_SIP_PORT}</routeFrom>

    <methodMatch>
      <methodPattern>SUBSCRIBE</methodPattern>

      <!-- Message waiting indication events -->
      <fieldMatch fieldName="Event">
        <fieldPattern>message-summary.*</fieldPattern>
        <!--this goes to the status server-->
        <routeTo>&lt;${STATUS_SERVER_SIP_SRV_OR_HOSTPORT};transport=tcp&gt;</routeTo>
      </fieldMatch>

      <!-- All other SUBSCRIBE requests go to the SIP registry service -->
      <routeTo>&lt;${REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT}&gt;</routeTo>

    </methodMatch>

    <!-- All other requests go to the SIP registry service -->
    <routeTo>&lt;${REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT}&gt;</routeTo>

  </route>
</routes>
"""

REGISTRAR_CONFIG_IN = """SIP_REGISTRAR_AUTHENTICATE_ALGORITHM : 
SIP_REGISTRAR_AUTHENTICATE_REALM : ${SIPXCHANGE_REALM}
SIP_REGISTRAR_DOMAIN_NAME : ${SIPXCHANGE_DOMAIN_NAME}
SIP_REGISTRAR_DOMAIN_ALIASES : ${MY_FULL_HOSTNAME} ${MY_IP_ADDR}
SIP_REGISTRAR_PROXY_PORT : ${PROXY_SERVER_SIP_PORT}
SIP_REGISTRAR_LOG_CONSOLE : 
SIP_REGISTRAR_LOG_DIR : 
SIP_REGISTRAR_LOG_LEVEL : NOTICE
SIP_REGISTRAR_MAX_EXPIRES : 
SIP_REGISTRAR_MEDIA_SERVER : ${MEDIA_SERVER_SIP_SRV_OR_HOSTPORT}
SIP_REGISTRAR_MIN_EXPIRES : 
SIP_REGISTRAR_HOOK_LIBRARY.MWI : /usr/lib/libRegistrarImpliedMWI.so
SIP_REGISTRAR.MWI.UA.CISCO : ^(CSCO|Cisco)
SIP_REGISTRAR_TCP_PORT : ${REGISTRAR_SERVER_SIP_PORT}
SIP_REGISTRAR_UDP_PORT : ${REGISTRAR_SERVER_SIP_PORT}
SIP_REGISTRAR_VOICEMAIL_SERVER : https%3A%2F%2Flocalhost%3A${VOICEMAIL_SERVER_HTTPS_PORT}
SIP_REGISTRAR_GLOBAL_CALL_PICKUP_CODE : 
SIP_REGISTRAR_DIRECTED_CALL_PICKUP_CODE : *78
SIP_REGISTRAR_CALL_RETRIEVE_CODE : *4
SIP_REGISTRAR_CALL_PICKUP_WAIT : 2.0
SIP_REGISTRAR_PARK_SERVER : ${ORBIT_SERVER_SIP_SRV_OR_HOSTPORT}

# See HaSetup.pdf for how to use the following
#SIP_REGISTRAR_XMLRPC_PORT : 5077
#SIP_REGISTRAR_NAME : ${MY_FULL_HOSTNAME}
#SIP_REGISTRAR_SYNC_WITH : MASTER_HOSTNAME, DISTRIBUTED_HOSTNAME
"""

PROXY_CONFIG_IN = """SIP_PROXY_AUTH_SERVER : <sip:${AUTH_PROXY_SERVER_SIP_SRV_OR_HOSTPORT};transport=tcp>
SIP_PROXY_DEFAULT_EXPIRES : 
SIP_PROXY_DEFAULT_SERIAL_EXPIRES : 
SIP_PROXY_HOST_ALIASES : ${MY_IP_ADDR}:${PROXY_SERVER_SIP_PORT} ${MY_HOSTNAME}:${PROXY_SERVER_SIP_PORT} \
${MY_FULL_HOSTNAME}:${PROXY_SERVER_SIP_PORT} ${PROXY_SERVER_SIP_SRV_OR_HOSTPORT}
SIP_PROXY_LOG_CONSOLE : 
SIP_PROXY_LOG_DIR : 
SIP_PROXY_LOG_LEVEL : NOTICE
SIP_PROXY_MAX_FORWARDS : 
SIP_PROXY_STALE_TCP_TIMEOUT : 
SIP_PROXY_TLS_PORT : ${PROXY_SERVER_SIP_SECURE_PORT}
SIP_PROXY_TCP_PORT : ${PROXY_SERVER_SIP_PORT}
SIP_PROXY_UDP_PORT : ${PROXY_SERVER_SIP_PORT}
SIP_PROXY_USE_AUTH_SERVER : 
SIP_PROXY_CALL_STATE : 
SIP_PROXY_CALL_STATE_LOG : 
SIP_PROXY_CALL_STATE_DB : 
"""

#: sipXtapi 3854821's stock authproxy-config.in: it record-routes with ${AUTH_PROXY_SERVER_SIP_SRV_OR_HOSTPORT}.
AUTHPROXY_CONFIG_IN = """SIP_AUTHPROXY_AUTHENTICATE_ALGORITHM : 
SIP_AUTHPROXY_AUTHENTICATE_QOP : 
SIP_AUTHPROXY_AUTHENTICATE_REALM : ${SIPXCHANGE_REALM}
SIP_AUTHPROXY_HOST_ALIASES : ${MY_IP_ADDR}:${AUTH_PROXY_SERVER_SIP_PORT} ${MY_HOSTNAME}:${AUTH_PROXY_SERVER_SIP_PORT} \
${MY_FULL_HOSTNAME}:${AUTH_PROXY_SERVER_SIP_PORT} ${AUTH_PROXY_SERVER_SIP_SRV_OR_HOSTPORT}
SIP_AUTHPROXY_LOG_CONSOLE : 
SIP_AUTHPROXY_LOG_DIR : 
SIP_AUTHPROXY_LOG_LEVEL : NOTICE
SIP_AUTHPROXY_ROUTE_NAME : ${AUTH_PROXY_SERVER_SIP_SRV_OR_HOSTPORT}
SIP_AUTHPROXY_STALE_TCP_TIMEOUT : 
SIP_AUTHPROXY_TLS_PORT : ${AUTH_PROXY_SERVER_SIP_SECURE_PORT}
SIP_AUTHPROXY_TCP_PORT : ${AUTH_PROXY_SERVER_SIP_PORT}
SIP_AUTHPROXY_UDP_PORT : ${AUTH_PROXY_SERVER_SIP_PORT}
SIP_AUTHPROXY_CALL_STATE : 
SIP_AUTHPROXY_CALL_STATE_LOG :
"""

TOPOLOGY_IN = """<?xml version="1.0" ?>

<!-- This file defines the "topology" file that resides on the 
     configuration server.  This file acts as a registry/database for 
     replication targets and remove process management agents -->

<!DOCTYPE topology [
     <!ELEMENT topology (location+)>
     <!ELEMENT location (component+, replication_url, agent_url, sip_domain?)>
     <!ATTLIST location id CDATA #REQUIRED>
     <!ELEMENT component EMPTY>
     <!ATTLIST component id CDATA  #REQUIRED>
     <!ATTLIST component type  (media-server | config-server | comm-server) #REQUIRED>
     <!ELEMENT replication_url (#PCDATA)>
     <!ELEMENT agent_url (#PCDATA)>
     <!ELEMENT sip_domain (#PCDATA)>
]>
 
<topology>
   <location id="Config Server, Media Server and Comm Server">
      <component id="MediaServer1" type="media-server" />         
      <component id="CommServer1"  type="comm-server" />         
      <replication_url>
         https://${MY_FULL_HOSTNAME}:${CONFIG_SERVER_HTTPS_PORT}/cgi-bin/replication/replication.cgi
      </replication_url>
      <agent_url>
         https://${MY_FULL_HOSTNAME}:${CONFIG_SERVER_HTTPS_PORT}/cgi-bin/processmonitor/process.cgi
      </agent_url>
   </location>   

   <!-- REMOVE THIS LINE TO ADD DISTRIBUTED SERVER 
   <location id="Distributed Comm Server">
      <component id="CommServer2"  type="comm-server" />         
      <replication_url>
         https://DISTRIBUTED_HOSTNAME:${CONFIG_SERVER_HTTPS_PORT}/cgi-bin/replication/replication.cgi
      </replication_url>
      <agent_url>
         https://DISTRIBUTED_HOSTNAME:${CONFIG_SERVER_HTTPS_PORT}/cgi-bin/processmonitor/process.cgi
      </agent_url>
   </location>   
   REMOVE THIS LINE TO ADD DISTRIBUTED SERVER -->

</topology>
"""

#: template -> effective file, as sipX expands them at service start.
TEMPLATES = {
    "forwardingrules.xml.in": FORWARDINGRULES_IN,
    "registrar-config.in": REGISTRAR_CONFIG_IN,
    "proxy-config.in": PROXY_CONFIG_IN,
    "authproxy-config.in": AUTHPROXY_CONFIG_IN,
    "topology.xml.in": TOPOLOGY_IN,
}


def watchdog_xml(fqdn: str, etc: str = "/etc/sipxpbx", namespace: bool = True) -> str:
    """WatchDog.xml of a sipX 3.x master: nine processes plus the commented-out ConferenceBridge."""
    text = _WD_HEAD.format(ns=WATCHDOG_NS, etc=etc, fqdn=fqdn)
    for name in PROCESSES[1:]:
        sep = " " if name.startswith(("Config", "Media", "Park", "Presence")) else "\n         "
        text += _WD_ENTRY.format(comment=_WD_COMMENTS[name], name=name, sep=sep)
    text += _WD_TAIL
    return text if namespace else text.replace(f' xmlns="{WATCHDOG_NS}"', "")


def process_definitions_xml() -> str:
    """ProcessDefinitions.xml as on the interop server (ConfigServer and ConferenceBridge not started)."""
    parts = [_PD_HEAD]
    for group, processes in _PD_GROUPS.items():
        parts.append(f'\n    <group name="{group}">\n')
        for name, script, start, stop in processes:
            parts.append(_PD_PROCESS.format(name=name, script=script, start=start, stop=stop))
        parts.append("    </group>\n")
    parts.append("</process_definitions>\n")
    return "".join(parts)


def config_defs(domain: str, etc: str = "/etc/sipxpbx") -> str:
    return CONFIG_DEFS.format(domain=domain, etc=etc)


def expansion(fqdn: str, address: str) -> dict[str, str]:
    """The values sipX substitutes into the ``.in`` templates for a stock (non-HA) server."""
    short, _, domain = fqdn.partition(".")
    return {
        "SIPXCHANGE_DOMAIN_NAME": fqdn,
        "SIPXCHANGE_REALM": domain,
        "MY_FULL_HOSTNAME": fqdn,
        "MY_HOSTNAME": short,
        "MY_IP_ADDR": address,
        "PROXY_SERVER_SIP_PORT": "5060",
        "PROXY_SERVER_SIP_SECURE_PORT": "5061",
        "PROXY_SERVER_SIP_SRV_OR_HOSTPORT": fqdn,
        "REGISTRAR_SERVER_SIP_PORT": "5070",
        "REGISTRAR_SERVER_SIP_SRV_OR_HOSTPORT": f"{address}:5070",
        "AUTH_PROXY_SERVER_SIP_SRV_OR_HOSTPORT": f"{address}:5080",
        "AUTH_PROXY_SERVER_SIP_PORT": "5080",
        "AUTH_PROXY_SERVER_SIP_SECURE_PORT": "5081",
        "CONFIG_SERVER_HTTPS_PORT": "8091",
        "MEDIA_SERVER_SIP_SRV_OR_HOSTPORT": f"{address}:5100",
        "STATUS_SERVER_SIP_SRV_OR_HOSTPORT": f"{address}:5110",
        "VOICEMAIL_SERVER_HTTPS_PORT": "8091",
        "ORBIT_SERVER_SIP_SRV_OR_HOSTPORT": f"{address}:5120",
    }


def expand(template: str, values: dict[str, str]) -> str:
    """``${NAME}`` -> value (unknown names stay as they are)."""
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def sipx_files(fqdn: str, address: str, etc: str = "/etc/sipxpbx") -> dict[str, str]:
    """File name -> text of the whole tree."""
    domain = fqdn.partition(".")[2] or fqdn
    files = {
        "WatchDog.xml": watchdog_xml(fqdn, etc),
        "ProcessDefinitions.xml": process_definitions_xml(),
        "config.defs": config_defs(domain, etc),
    }
    values = expansion(fqdn, address)
    for name, template in TEMPLATES.items():
        files[name] = template
        files[name.removesuffix(".in")] = expand(template, values)
    return files


def write_sipx_tree(etc_dir: Path, fqdn: str, address: str) -> None:
    """Write a stock sipX 3.x ``/etc/sipxpbx`` for ``fqdn``/``address`` into ``etc_dir`` (mode 0644)."""
    etc_dir = Path(etc_dir)
    etc_dir.mkdir(parents=True, exist_ok=True)
    for name, text in sipx_files(fqdn, address, str(etc_dir)).items():
        path = etc_dir / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o644)


#: autoconf placeholders of the stock templates, as ``make install`` fills them in
INSTALL_DIRS = {
    "@bindir@": "/usr/bin",
    "@localstatedir@": "/var",
    "@SIPX_LOGDIR@": "/var/log/sipxpbx",
    "@SIPX_TMPDIR@": "/var/sipxdata/tmp",
    "@SIPX_LIBDIR@": "/usr/lib",
    "@SIPXPBXUSER@": "sipxchange",
}
#: installed name -> stock file in ``../shared/sipx`` (sipXtapi 3854821)
STOCK_FILES = {
    "config.defs": "config.defs.in__sipXtapi_3854821",
    "WatchDog.xml": "WatchDog.xml.in__sipXtapi_3854821",
    "ProcessDefinitions.xml": "ProcessDefinitions.xml.in__sipXtapi_3854821",
    "forwardingrules.xml.in": "forwardingrules.xml.in__sipXtapi_3854821",
    "registrar-config.in": "registrar-config.in__sipXtapi_3854821",
    "proxy-config.in": "proxy-config.in__sipXtapi_3854821",
    "authproxy-config.in": "authproxy-config.in__sipXtapi_3854821",
    "topology.xml.in": "topology.xml.in__sipXtapi_3854821",
}
TREES = ("fixture", "interop", "stock")


def write_real_tree(etc_dir: Path, kind: str, fqdn: str, address: str) -> None:
    """A real sipX tree in ``etc_dir``, as on a server where sipX has started once.

    ``interop``: Pingtel's interop /etc/sipxpbx verbatim; ``stock``: the sipXtapi 3854821 templates
    installed (autoconf placeholders filled in). The effective files are then written by the sipX
    start-up emulation (:mod:`tests.support.sipxstart`), as sipX writes them at every start.
    """
    from tests.support import sipxstart

    etc_dir = Path(etc_dir)
    etc_dir.mkdir(parents=True, exist_ok=True)
    if kind == "interop":
        names = {p.name: p for p in sorted((REAL_SIPX / "interop-etc-sipxpbx").iterdir())}
    else:
        names = {name: REAL_SIPX / source for name, source in STOCK_FILES.items()}
    for name, source in names.items():
        text = source.read_text(encoding="utf-8")
        for placeholder, value in {**INSTALL_DIRS, "@SIPX_CONFDIR@": str(etc_dir)}.items():
            text = text.replace(placeholder, value)
        (etc_dir / name).write_text(text, encoding="utf-8")
        (etc_dir / name).chmod(0o644)
    bindir = etc_dir.parent / f".{etc_dir.name}-bin"
    sipxstart.start(etc_dir, fqdn, address, etc_dir, bindir)
    for name in (p.name.removesuffix(".in") for p in etc_dir.glob("*.in")):
        (etc_dir / name).chmod(0o644)


def write_tree(etc_dir: Path, kind: str, fqdn: str, address: str) -> None:
    """:func:`write_sipx_tree` (``fixture``) or :func:`write_real_tree` (``interop``, ``stock``)."""
    if kind == "fixture":
        write_sipx_tree(etc_dir, fqdn, address)
    else:
        write_real_tree(etc_dir, kind, fqdn, address)


#: The verbatim real sipX files (``../shared/sipx`` next to the repository), when that folder exists.
REAL_SIPX = (Path(__file__).resolve().parents[2] / ".." / "shared" / "sipx").resolve()


def real_file(name: str) -> Path:
    """A file of :data:`REAL_SIPX`; the calling test is skipped when it is not there."""
    import pytest

    path = REAL_SIPX / name
    if not path.is_file():
        pytest.skip(f"real sipX reference file not present: {path}")
    return path
