#!/usr/bin/env node
/*
 * A third-party LwM2M client for the gateway's interoperability test (tests/e2e/test_node_lib.py),
 * built on the npm package lwm2m-node-lib (Telefonica).
 *
 *   node node_client.js [--host H] [--port P] [--endpoint EP] [--lifetime S]
 *   (or LWM2M_HOST, LWM2M_PORT, LWM2M_ENDPOINT, LWM2M_LIFETIME; defaults 127.0.0.1 5683 node-0 300)
 *
 * Objects: /3/0 (0 Manufacturer, 1 Model Number, 3 Firmware Version) and /3303/0 (5700 Sensor
 * Value, 5701 Sensor Units, 5750 Application Type, writable).
 *
 * stdout: one JSON object per line: {"event": "registered", "location": ...}, {"event": "read",
 * "path": ...}, {"event": "write", "path": ..., "value": ...}, {"event": "execute", ...},
 * {"event": "observe", "path": ...}, {"event": "set", ...}, {"event": "updated"},
 * {"event": "deregistered"}, {"event": "error", "op": ..., "message": ...}.
 * stdin: one command per line: "set /3303/0/5700 23.5", "update", "deregister", "quit".
 * The library's own log goes to stderr (level from LOG_LEVEL, default FATAL).
 */
'use strict';

var readline = require('readline'),
    logger = require('logops'),
    lwm2m = require('lwm2m-node-lib'),
    client = lwm2m.client;

logger.setStream(process.stderr);
logger.setLevel(process.env.LOG_LEVEL || 'FATAL');

function option(name, env, fallback) {
    var i = process.argv.indexOf('--' + name);
    if (i > 0 && i + 1 < process.argv.length) {
        return process.argv[i + 1];
    }
    return process.env[env] || fallback;
}

var host = option('host', 'LWM2M_HOST', '127.0.0.1'),
    port = option('port', 'LWM2M_PORT', '5683'),
    endpoint = option('endpoint', 'LWM2M_ENDPOINT', 'node-0'),
    lifetime = option('lifetime', 'LWM2M_LIFETIME', '300'),
    deviceInfo = null,
    observed = {};

function emit(event) {
    process.stdout.write(JSON.stringify(event) + '\n');
}

function fail(op, error) {
    emit({event: 'error', op: op, message: String(error && (error.message || error.name) || error)});
}

var objects = {
    '/3/0': {0: 'lwm2m-node-lib', 1: 'interop-client', 3: '1.4.0'},
    '/3303/0': {5700: '21.5', 5701: 'Cel', 5750: 'room'}
};

function createObjects(done) {
    var uris = Object.keys(objects);
    (function next(i) {
        if (i === uris.length) {
            return done();
        }
        client.registry.create(uris[i], function (error) {
            if (error) {
                return fail('create', error);
            }
            var resources = Object.keys(objects[uris[i]]);
            (function set(j) {
                if (j === resources.length) {
                    return next(i + 1);
                }
                client.registry.setResource(uris[i], resources[j], objects[uris[i]][resources[j]],
                    function (error) {
                        if (error) {
                            return fail('create', error);
                        }
                        set(j + 1);
                    });
            })(0);
        });
    })(0);
}

function path(type, id, res) {
    return '/' + type + '/' + id + (res !== undefined && res !== null ? '/' + res : '');
}

/* The library gives no hook for an Observe: it registers the observer before it calls the read
 * handler, so new entries in its observer list are reported from there. */
function reportNewObservers() {
    client.listObservers(function (error, list) {
        (list || []).forEach(function (o) {
            if (!observed[o.id]) {
                observed[o.id] = true;
                emit({event: 'observe', path: o.id});
            }
        });
    });
}

function setHandlers(info) {
    client.setHandler(info.serverInfo, 'read', function (type, id, res, value, callback) {
        emit({event: 'read', path: path(type, id, res), value: String(value)});
        reportNewObservers();
        callback(null);
    });
    client.setHandler(info.serverInfo, 'write', function (type, id, res, value, callback) {
        emit({event: 'write', path: path(type, id, res), value: value});
        callback(null);
    });
    client.setHandler(info.serverInfo, 'execute', function (type, id, res, args, callback) {
        emit({event: 'execute', path: path(type, id, res), args: args});
        callback(null);
    });
}

function command(line) {
    var words = line.trim().split(/\s+/), m;
    switch (words[0]) {
    case 'set':
        m = /^(\/\d+\/\d+)\/(\d+)$/.exec(words[1] || '');
        if (!m || words.length < 3) {
            return fail('set', 'usage: set /O/I/R VALUE');
        }
        client.registry.setResource(m[1], m[2], words.slice(2).join(' '), function (error) {
            if (error) {
                return fail('set', error);
            }
            emit({event: 'set', path: words[1], value: words.slice(2).join(' ')});
        });
        break;
    case 'update':
        client.update(deviceInfo, function (error, info) {
            if (error) {
                return fail('update', error);
            }
            deviceInfo = info;
            setHandlers(info);
            emit({event: 'updated', location: info.location});
        });
        break;
    case 'deregister':
        client.unregister(deviceInfo, function (error) {
            if (error) {
                return fail('deregister', error);
            }
            deviceInfo = null;
            observed = {};
            emit({event: 'deregistered'});
        });
        break;
    case 'quit':
        process.exit(0);
        break;
    case undefined:
    case '':
        break;
    default:
        fail('command', 'unknown command: ' + words[0]);
    }
}

client.init({
    client: {
        lifetime: lifetime,
        version: '1.0',
        logLevel: process.env.LOG_LEVEL || 'FATAL',
        ipProtocol: 'udp4',
        serverProtocol: 'udp4',
        formats: [{name: 'lightweightm2m/text', value: 1541}],
        writeFormat: 'lightweightm2m/text'
    }
});

createObjects(function () {
    client.register(host, port, null, endpoint, function (error, info) {
        if (error) {
            fail('register', error);
            process.exit(1);
        }
        deviceInfo = info;
        setHandlers(info);
        emit({event: 'registered', location: info.location, port: info.localPort});
        readline.createInterface({input: process.stdin}).on('line', command)
            .on('close', function () { process.exit(0); });
    });
});
