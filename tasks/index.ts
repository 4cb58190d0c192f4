// Command-line tasks, one file per role; `npx hardhat --help` lists them.
import "./operator";
import "./modeler";
import "./host";
import "./user";
import "./answers";
import "./keeper";
import "./status";
import "./faucet";
import "./time";
import "./node";
import "./roles";
import "./history";
