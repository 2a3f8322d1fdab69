// node-gyp builds native addons (better-sqlite3) against Node's headers and
// downloads them unless told where they are; some machines that build this
// project reach no download site. Point it at the headers installed beside
// the running node, when they are there. (pnpm passes only a few environment
// variables to build scripts, so npm's `nodedir` setting does not reach them.)
const fs = require('node:fs');
const path = require('node:path');

module.exports = {
  hooks: {
    updateConfig(config) {
      const prefix = path.resolve(process.execPath, '..', '..');
      if (!fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) return config;
      return {...config, extraEnv: {...config.extraEnv, npm_config_nodedir: prefix}};
    },
  },
};
