'use strict';
const chalk = require('chalk');

function runCommand(args) {
  const [command, ...rest] = args;
  switch (command) {
    case 'graph':
      console.log(chalk.cyan('Computing project graph...'));
      break;
    case 'run':
    case 'run-many':
    case 'affected':
      console.log(chalk.green(`> nx ${command} ${rest.join(' ')}`));
      break;
    default:
      console.log('Usage: nx <command> [options]');
  }
}

module.exports = { runCommand };
